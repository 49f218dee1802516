#!/usr/bin/env bash
# Makes the committed viewer-token test vectors with openssl alone (no project code): keys, then
# tokens signed with them. Run from this folder; it rewrites keys and tokens.json.
set -euo pipefail
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
secret="streamhub-test-secret-0123456789"
printf %s "$secret" > hs256-secret.txt
[ -f ec-p256-private.pem ] || openssl ecparam -name prime256v1 -genkey -noout -out ec-p256-private.pem
openssl ec -in ec-p256-private.pem -pubout -out ec-p256-public.pem 2> /dev/null
[ -f rsa-2048-private.pem ] || openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa-2048-private.pem 2> /dev/null
openssl pkey -in rsa-2048-private.pem -pubout -out rsa-2048-public.pem
[ -f rsa-1024-private.pem ] || openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa-1024-private.pem 2> /dev/null
openssl pkey -in rsa-1024-private.pem -pubout -out rsa-1024-public.pem

# token HEADER PAYLOAD ALG: the compact JWT
token() {
    local input; input="$(printf %s "$1" | b64url).$(printf %s "$2" | b64url)"
    local signature
    case "$3" in
    HS256) signature=$(printf %s "$input" | openssl dgst -sha256 -hmac "$secret" -binary | b64url) ;;
    HS256-EC-PUBLIC) signature=$(printf %s "$input" | openssl dgst -sha256 -hmac "$(cat ec-p256-public.pem)" -binary | b64url) ;;
    RS256) signature=$(printf %s "$input" | openssl dgst -sha256 -sign rsa-2048-private.pem -binary | b64url) ;;
    ES256) # JWS wants r || s, 32 bytes each; openssl gives DER
        signature=$(printf %s "$input" | openssl dgst -sha256 -sign ec-p256-private.pem -binary \
            | openssl asn1parse -inform DER | awk -F: '/INTEGER/ {print $NF}' \
            | while read -r hex; do printf '%064s' "$hex" | tr ' ' 0; done | xxd -r -p | b64url) ;;
    none) signature="" ;;
    esac
    printf '%s.%s' "$input" "$signature"
}
claims='{"sub":"viewer-42","exp":4102444800,"streams":["match-7","cup-*"],"aud":"streamhub","iss":"platform"}'
expired='{"sub":"viewer-42","exp":1000000000,"streams":["*"]}'
{
    echo "{"
    echo "  \"hs256\": \"$(token '{"alg":"HS256","typ":"JWT"}' "$claims" HS256)\","
    echo "  \"es256\": \"$(token '{"alg":"ES256","typ":"JWT"}' "$claims" ES256)\","
    echo "  \"rs256\": \"$(token '{"alg":"RS256","typ":"JWT"}' "$claims" RS256)\","
    echo "  \"hs256_expired\": \"$(token '{"alg":"HS256"}' "$expired" HS256)\","
    echo "  \"alg_none\": \"$(token '{"alg":"none"}' "$claims" none)\","
    echo "  \"hs256_signed_with_ec_public_key\": \"$(token '{"alg":"HS256"}' "$claims" HS256-EC-PUBLIC)\","
    echo "  \"crit\": \"$(token '{"alg":"HS256","crit":["exp"]}' "$claims" HS256)\","
    echo "  \"no_alg\": \"$(token '{"typ":"JWT"}' "$claims" HS256)\""
    echo "}"
} > tokens.json
