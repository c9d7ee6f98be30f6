"""Password strength: zxcvbn's score >= 3 against the account's own words, with reasons in
the reader's language (zxcvbn itself speaks English only)."""

import ast
import inspect
import re

import pytest
import zxcvbn.feedback
from flask_babel import force_locale

from app.services import accounts, passwords
from app.services.errors import ValidationFailed
from tests import factories

STRONG = "Furong-Bridge-48"


def reasons(password, **kw) -> list[str]:
    with pytest.raises(ValidationFailed) as exc:
        passwords.check_strength(password, **kw)
    return [str(m) for m in exc.value.errors["password"]]


@pytest.mark.parametrize("password, reason", [
    ("password", "这是最常用的密码之一。"),
    ("1qaz2wsx3edc", "这是非常常见的密码。"),
    ("qwertyuiop", "这是最常用的密码之一。"),
    ("zxcvbnm,./", "键盘上一整排的按键容易被猜到。"),
    ("abcdefghijk", "abc、6543 之类的连续字符容易被猜到。"),
    ("aaaaaaaaaa", "重复的字符容易被猜到。"),
    ("Passw0rd!", "与常用密码过于相似。"),
])
def test_weak_passwords_are_refused_with_a_reason_in_chinese(app, password, reason):
    with force_locale("zh"):
        said = reasons(password)
    assert said[0] == "密码过于简单，容易被猜到。"
    assert reason in said
    assert all(re.search(r"[\u4e00-\u9fff]", m) for m in said)  # no English left


@pytest.mark.parametrize("password", [STRONG, "correct horse battery staple", "蓉城融资对接2026平台",
                                      "Zy7#kq2!mPw"])
def test_strong_passwords_pass(app, password):
    passwords.check_strength(password, email="zhang.wei@bank.cn", names=("张伟", "成都银行"))


def test_the_e_mail_local_part_is_refused(app):
    with force_locale("zh"):
        assert reasons("Sichuan-zhangwei-77", email="ZhangWei@bank.cn") == [
            "密码不得包含电子邮箱 @ 前的用户名部分。"]
    passwords.check_strength("Sichuan-zhangwei-77", email="li@bank.cn")  # a strong password otherwise


def test_the_account_s_own_words_weaken_a_password(app):
    password = "chengdubank2026"
    passwords.check_strength(password)  # strong for a stranger
    with force_locale("zh"):
        said = reasons(password, email="x@y.cn", names=("李四", "ChengduBank"))
    assert "密码中含有您的姓名、单位名称或电子邮箱。" in said


def test_register_passes_name_and_organisation(app, bank_org):
    bank_org.name = "Jinjiang Riverside Holdings"
    with pytest.raises(ValidationFailed) as exc:
        accounts.register_member(credit_code_value=bank_org.credit_code, email="m@x.cn",
                                 name="Wang Xiaoming", password="jinjiangriverside")
    assert "password" in exc.value.errors


@pytest.mark.parametrize("action", ["change", "reset"])
def test_change_and_reset_check_strength(app, owner, action):
    with pytest.raises(ValidationFailed) as exc:
        if action == "change":
            accounts.change_password(owner, current=factories.PASSWORD, new="password123")
        else:
            accounts.reset_password(owner, "password123")
    assert "password" in exc.value.errors
    assert owner.check_password(factories.PASSWORD)


def _zxcvbn_feedback_strings() -> set[str]:
    """Every string zxcvbn's feedback module can return (the arguments of its _() calls)."""
    tree = ast.parse(inspect.getsource(zxcvbn.feedback))
    return {node.args[0].value if isinstance(node.args[0], ast.Constant) else
            "".join(part.value for part in ast.walk(node.args[0]) if isinstance(part, ast.Constant))
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_"}


def test_every_zxcvbn_message_has_a_translation_of_ours():
    known = set(passwords.WARNINGS) | set(passwords.SUGGESTIONS)
    assert _zxcvbn_feedback_strings() - known == set()


def test_demo_accounts_keep_their_printed_password():
    """The demo sets its password hash directly (not through the strength check)."""
    import app.demo as demo

    source = inspect.getsource(demo)
    assert demo.DEMO_PASSWORD == "demo12345"
    assert "generate_password_hash(DEMO_PASSWORD)" in source and "check_password_strength" not in source
