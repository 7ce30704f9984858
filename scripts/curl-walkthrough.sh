#!/usr/bin/env bash
# The README's walk-through with curl alone, against a running reference server:
#   scripts/curl-walkthrough.sh [http://127.0.0.1:8080]
# Each step prints what it checks; the script stops at the first surprise.
set -euo pipefail
ROOT=${1:-http://127.0.0.1:8080}
PA=$ROOT/fhir
PD=$ROOT/provider-directory/fhir
CLIENT=patient-access-app SECRET=pa-demo-secret-7f3c
REDIRECT=https://client-app.com/redirect
PATIENT=ffaa7043-d695-4cf0-a541-945bca539041 OTHER=b5631ecf-b58c-48f5-87f0-b9988f41969b
JAR=$(mktemp); trap 'rm -f "$JAR"' EXIT
step() { printf '\n== %s\n' "$*"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

step "1. discovery"
curl -sf "$PA/.well-known/smart-configuration" | field "['authorization_endpoint']"

step "2. authorize -> login page (the form carries a transaction id)"
AUTHZ="$ROOT/oauth2/authorize?response_type=code&client_id=$CLIENT&redirect_uri=$REDIRECT&scope=openid+fhirUser+launch%2Fpatient+patient%2F*.rs&state=xyz"
TX=$(curl -sf -c "$JAR" "$AUTHZ" | sed -n 's/.*name="tx" value="\([^"]*\)".*/\1/p')
echo "tx=${TX:0:8}..."

step "3. login (sets the session cookie) -> consent page -> approve -> redirect with code and state"
curl -sf -b "$JAR" -c "$JAR" -d "tx=$TX" -d username=sbx-patientAccessMember-1 -d password=hpTest11 "$ROOT/oauth2/login" | grep -q consent-form
LOCATION=$(curl -s -b "$JAR" -o /dev/null -w '%{redirect_url}' -d "tx=$TX" -d decision=approve "$ROOT/oauth2/consent")
echo "redirect: ${LOCATION%%code=*}code=...&state=${LOCATION##*state=}"
CODE=$(echo "$LOCATION" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')

step "4. code exchange with HTTP Basic"
TOKENS=$(curl -sf -u "$CLIENT:$SECRET" -d grant_type=authorization_code -d "code=$CODE" --data-urlencode "redirect_uri=$REDIRECT" "$ROOT/oauth2/token")
TOKEN=$(echo "$TOKENS" | field "['access_token']")
REFRESH=$(echo "$TOKENS" | field "['refresh_token']")
echo "$TOKENS" | field "['scope']"

step "5. own Patient 200, another member's 403"
curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $TOKEN" "$PA/Patient/$PATIENT"
curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $TOKEN" "$PA/Patient/$OTHER"

step "6. \$everything followed to the last page"
URL="$PA/Patient/$PATIENT/\$everything?_count=20"; PAGES=0; IDS=$(mktemp)
while [ -n "$URL" ] && [ $PAGES -lt 200 ]; do
  PAGE=$(curl -sf -H "Authorization: Bearer $TOKEN" "$URL")
  echo "$PAGE" | python3 -c "import json,sys; [print(e['resource']['resourceType']+'/'+e['resource']['id']) for e in json.load(sys.stdin).get('entry',[])]" >> "$IDS"
  URL=$(echo "$PAGE" | python3 -c "import json,sys; print(next((l['url'] for l in json.load(sys.stdin).get('link',[]) if l['relation']=='next'),''))")
  PAGES=$((PAGES+1))
done
echo "$PAGES pages, $(wc -l <"$IDS") resources, $(sort "$IDS" | uniq -d | wc -l) duplicates"; rm -f "$IDS"

step "7. trailing-slash redirect variant: error page, no redirect"
curl -s -o /dev/null -w '%{http_code} location=[%{redirect_url}]\n' "${AUTHZ/redirect&/redirect\/&}"

step "8. user/*.rs: invalid_scope"
curl -s -o /dev/null -w '%{redirect_url}\n' "${AUTHZ/patient%2F*.rs/user%2F*.rs}"

step "9. client credentials for the Provider Directory app: no patient claim, 403 on Patient Access"
PDT=$(curl -sf -u provider-directory-app:pd-demo-secret-4e2d -d grant_type=client_credentials --data-urlencode 'scope=system/*.rs' "$ROOT/oauth2/token")
echo "$PDT" | field ".get('patient', 'no patient claim')"
PDTOKEN=$(echo "$PDT" | field "['access_token']")
curl -s -o /dev/null -w 'directory %{http_code}\n' -H "Authorization: Bearer $PDTOKEN" "$PD/Practitioner?_count=5"
curl -s -w '\n' -H "Authorization: Bearer $PDTOKEN" "$PA/Patient/$PATIENT" | field "['issue'][0]['diagnostics']"

step "10. refresh"
curl -sf -u "$CLIENT:$SECRET" -d grant_type=refresh_token -d "refresh_token=$REFRESH" "$ROOT/oauth2/token" | field "['expires_in']"

step "11. the member revokes the grant: refresh -> invalid_grant, access token -> 401"
curl -sf -X DELETE -u sbx-patientAccessMember-1:hpTest11 "$ROOT/member/grants/$CLIENT"; echo
curl -s -u "$CLIENT:$SECRET" -d grant_type=refresh_token -d "refresh_token=$REFRESH" "$ROOT/oauth2/token" | field "['error']"
curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $TOKEN" "$PA/Patient/$PATIENT"
