"""Property companies: the unified social credit code is validated (GB 32100-2015)."""

import pytest
from django.core.exceptions import ValidationError

from communities.models import Community, PropertyCompany, Street
from communities.validators import make_uscc, uscc_check_character, validate_uscc

VALID = "91350100M000100Y43"  # the example code widely used in GB 32100 explanations


def test_a_known_valid_code_passes():
    validate_uscc(VALID)
    validate_uscc(VALID.lower())  # typed in small letters


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91350100M000100Y4", "应为18位，此处为17位"),
        ("91350100M000100Y433", "应为18位，此处为19位"),
        ("91350100M000I00Y43", "不含字母 I、O、Z、S、V"),
        ("91ABCDEFM000100Y43", "行政区划数字"),
        ("91350100M000100Y44", "校验码（第18位）不符"),
        ("91350100M000010Y43", "校验码（第18位）不符"),  # two neighbours swapped
    ],
)
def test_a_wrong_code_gets_a_clear_chinese_message(code, message):
    with pytest.raises(ValidationError) as error:
        validate_uscc(code)
    assert message in " ".join(error.value.messages)


def test_every_single_character_typo_is_caught():
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for position in range(17):
        for ch in alphabet:
            if ch == VALID[position]:
                continue
            typo = VALID[:position] + ch + VALID[position + 1 :]
            assert uscc_check_character(typo[:17]) != typo[17], typo


@pytest.mark.django_db
def test_the_model_refuses_an_invalid_code_and_a_duplicate():
    company = PropertyCompany(name="示例物业", credit_code="91350100M000100Y44")
    with pytest.raises(ValidationError) as error:
        company.full_clean()
    assert "credit_code" in error.value.message_dict
    PropertyCompany.objects.create(name="甲物业", credit_code=make_uscc("91420104MA4K00001"))
    duplicate = PropertyCompany(name="乙物业", credit_code=make_uscc("91420104MA4K00001").lower())
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "已存在使用该统一社会信用代码的企业" in str(error.value)


@pytest.mark.django_db
def test_a_branch_names_its_parent_and_codes_may_be_left_blank_when_unknown():
    parent = PropertyCompany.objects.create(name="福州融侨物业管理有限公司")
    branch = PropertyCompany.objects.create(
        name="福州融侨物业管理有限公司武汉分公司", parent=parent
    )
    branch.full_clean()
    assert list(parent.branches.all()) == [branch]


@pytest.mark.django_db
def test_a_community_street_must_be_in_its_district(qiaokou, jiangan, company):
    street = Street.objects.create(district=jiangan, name="大智街道")
    community = Community(
        district=qiaokou, street=street, name="错区小区", households=10, company=company
    )
    with pytest.raises(ValidationError) as error:
        community.full_clean()
    assert "该街道不属于所选的区" in str(error.value)
