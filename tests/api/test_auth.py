"""Bearer tokens are the API's only credentials."""

import pytest

from app.extensions import db
from app.services import accounts
from tests.api.conftest import bearer
from tests.conftest import login


def assert_unauthorized(response):
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["error"]["status"] == 401
    assert response.json["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer cp_not-a-real-token", "Basic b3duZXI6eA==",
                                    "cp_missing-the-scheme"])
def test_missing_or_bad_token_is_401(client, owner, header):
    headers = {"Authorization": header} if header else {}
    assert_unauthorized(client.get("/api/v1/me", headers=headers))


def test_revoked_token_is_401(client, owner):
    secret, row = accounts.create_api_token(owner, "laptop")
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    accounts.revoke_api_token(row.id, by=owner)
    db.session.commit()
    assert_unauthorized(client.get("/api/v1/me", headers=headers))


def test_deactivated_user_token_is_401(client, owner, admin):
    headers = bearer(owner)
    accounts.deactivate_user(owner, reason="离职", by=admin)
    db.session.commit()
    assert_unauthorized(client.get("/api/v1/projects", headers=headers))


def test_session_cookie_is_not_an_api_credential(client, owner):
    login(client, owner)  # a live web session: the site knows this user, the API does not
    assert_unauthorized(client.get("/api/v1/me"))
    assert_unauthorized(client.post("/api/v1/projects", json={}))


def test_me_describes_the_caller_and_their_organisation(api, owner):
    body = api(owner).get("/me").json
    assert body["email"] == "owner@test.cn"
    assert body["role"] == "owner"
    assert body["org"]["name"] == "成都城投建设有限公司"
    assert body["org"]["status"] == "verified"


def test_cli_prints_a_working_token_and_revoking_it_stops_it(client, runner, institution):
    result = runner.invoke(args=["tokens", "create", "bank@test.cn", "--name", "governance centre"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    headers = {"Authorization": f"Bearer {secret}"}
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.json["email"] == "bank@test.cn"

    token = accounts.user_tokens(institution)[0]
    assert token.name == "governance centre" and secret.startswith(token.prefix)
    accounts.revoke_api_token(token.id, by=institution)
    db.session.commit()
    assert_unauthorized(client.get("/api/v1/me", headers=headers))


def test_cli_refuses_an_unknown_email(runner, app):
    result = runner.invoke(args=["tokens", "create", "nobody@test.cn"])
    assert result.exit_code != 0
    assert "nobody@test.cn" in result.output


def test_openapi_document_declares_bearer_auth_and_the_error_shape(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert spec["security"] == [{"bearerAuth": []}]
    error = spec["components"]["schemas"]["ErrorBody"]
    assert set(error["required"]) == {"status", "code", "message"}
    assert "errors" in error["properties"]
    for path in ("/api/v1/projects", "/api/v1/projects/{project_id}", "/api/v1/needs",
                 "/api/v1/needs/{need_id}/return", "/api/v1/me"):
        assert path in spec["paths"]
        for operation in spec["paths"][path].values():
            if isinstance(operation, dict) and "responses" in operation:
                assert operation["responses"]["default"]["$ref"] == "#/components/responses/DEFAULT_ERROR"
