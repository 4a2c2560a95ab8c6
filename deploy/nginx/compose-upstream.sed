# deploy/compose.yaml: the site file's app servers are the two app containers.
s/server 127\.0\.0\.1:8001 /server app1:8000 /
s/server 127\.0\.0\.1:8002 /server app2:8000 /
