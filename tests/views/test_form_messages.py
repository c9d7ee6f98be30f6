"""Forms answer every problem at once, each under its field, in the reader's language:
the form's own checks and the service's rules run in one pass; phone numbers; the
project code's district; the required-field marker; no English in Chinese messages."""

import importlib
import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, DateField, DecimalField, IntegerField, SelectFieldBase

from app import forms as app_forms
from app.extensions import db
from app.models import FinancingNeed, Project
from app.services import accounts
from tests import factories
from tests.views.test_needs_views import form_data as need_form
from tests.views.test_needs_views import login
from tests.views.test_projects_views import form_data as project_form

FORM_MODULES = ("app.auth.forms", "app.projects.forms", "app.needs.forms", "app.editions.forms",
                "app.admin.forms")
REQUIRED = "此项为必填项。"
PHONE_RULE = "请输入 11 位手机号码或带区号的固定电话，如 13812345678 或 028-12345678。"
ASCII_WORD = re.compile(r"[A-Za-z]{2,}")


class FieldErrors(HTMLParser):
    """The messages shown under each field (.invalid-feedback after the field's input)."""

    def __init__(self):
        super().__init__()
        self.errors: dict[str, list[str]] = {}
        self.current = None
        self.capture = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "select", "textarea") and attrs.get("name") not in (None, "csrf_token"):
            self.current = attrs["name"]
        if tag == "div" and "invalid-feedback" in (attrs.get("class") or ""):
            self.capture = True
            self.errors.setdefault(self.current, []).append("")

    def handle_endtag(self, tag):
        if tag == "div":
            self.capture = False

    def handle_data(self, data):
        if self.capture:
            self.errors[self.current][-1] += data.strip()


def field_errors(response) -> dict[str, list[str]]:
    parser = FieldErrors()
    parser.feed(response.get_data(as_text=True))
    return parser.errors


# ---- every mistake in one answer -----------------------------------------------------------
PROJECT_MISTAKES = dict(
    name="",  # required (the form)
    level="",  # required (the form)
    code="2026-510104-48-01-000123",  # 锦江区's division, 东部新区's 简阳 chosen (the service)
    district_code="510185",
    total_investment="1000", annual_planned_investment="2000",  # annual > total (the service)
    stage="reserve", reserve_substage="",  # a reserve project without its sub-stage
    planned_start="2027-01-01", planned_completion="2026-12-31",  # the wrong way round
    actual_start="", actual_completion="2026-05-01",  # completed but never started
)
PROJECT_MESSAGES = {
    "name": [REQUIRED],
    "level": [REQUIRED],
    "code": ["项目代码中的行政区划代码（510104）与所选区（市）县不一致（简阳市：510185）。"],
    "annual_planned_investment": ["年度计划投资不能超过总投资。"],
    "reserve_substage": ["储备项目须选择储备阶段细分。"],
    "planned_completion": ["计划竣工时间不能早于计划开工时间。"],
    "actual_start": ["竣工投产项目须填写实际开工时间。"],
}


def test_a_new_project_with_seven_mistakes_shows_all_seven(client, owner):
    login(client, owner)
    response = client.post("/projects/new", data=project_form(**PROJECT_MISTAKES))
    assert response.status_code == 422
    assert field_errors(response) == PROJECT_MESSAGES
    page = response.get_data(as_text=True)
    assert 'value="2026-510104-48-01-000123"' in page and 'value="2000"' in page  # input kept
    assert db.session.scalar(sa.select(sa.func.count(Project.id))) == 0


def test_an_edited_project_with_several_mistakes_shows_all(client, owner):
    project = factories.make_project(org=owner.org, name="原名称")
    db.session.commit()
    login(client, owner)
    response = client.post(f"/projects/{project.id}/edit", data=project_form(
        version=str(project.version), **PROJECT_MISTAKES))
    assert response.status_code == 422
    assert field_errors(response) == PROJECT_MESSAGES
    db.session.expire_all()
    assert db.session.get(Project, project.id).name == "原名称"


def test_form_and_service_messages_for_one_field_are_not_repeated(client, owner):
    # Not a number: the form's message alone, not the service's "required" beside it; the
    # decimals of the other amount are the service's rule, reported in the same answer.
    login(client, owner)
    response = client.post("/projects/new", data=project_form(
        total_investment="十万", annual_planned_investment="100.123"))
    assert field_errors(response) == {
        "total_investment": ["请输入数字，如 1200.50。"],
        "annual_planned_investment": ["金额（万元）最多保留两位小数。"],
    }


NEED_MISTAKES = dict(
    amount="80000.001",  # three decimals (the service)
    instruments=[],  # none chosen (the form)
    term_months="700",  # beyond 600 months (the service)
    cost_ceiling="40",  # beyond 36 % (the service)
    funds_secured="-5",  # negative (the service)
    use_of_funds="",  # required (the form)
    contact_phone="12345",  # not a phone number (the form)
    contact_email="lina(at)example.cn",  # not an e-mail address (the form)
)
NEED_MESSAGES = {
    "amount": ["金额（万元）最多保留两位小数。"],
    "instruments": ["请至少选择一种融资方式。"],
    "term_months": ["请输入1至600个月之间的期限。"],
    "cost_ceiling": ["请输入0至36%之间的年利率，最多保留两位小数。"],
    "funds_secured": ["金额不能为负数。"],
    "use_of_funds": [REQUIRED],
    "contact_phone": [PHONE_RULE],
    "contact_email": ["请输入有效的电子邮箱地址。"],
}


def test_a_new_need_with_eight_mistakes_shows_all_eight(client, owner):
    project = factories.make_project(org=owner.org)
    db.session.commit()
    login(client, owner)
    response = client.post(f"/projects/{project.id}/needs/new", data=need_form(**NEED_MISTAKES))
    assert response.status_code == 422
    assert field_errors(response) == NEED_MESSAGES
    assert 'value="80000.001"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(FinancingNeed.id))) == 0


def test_an_edited_need_with_several_mistakes_shows_all(client, owner):
    need = factories.make_need(org=owner.org)
    db.session.commit()
    login(client, owner)
    response = client.post(f"/needs/{need.id}/edit", data=need_form(
        version=str(need.version), **NEED_MISTAKES))
    assert response.status_code == 422
    assert field_errors(response) == NEED_MESSAGES


def test_amount_sought_above_the_total_investment_beside_a_form_error(client, owner):
    project = factories.make_project(org=owner.org)  # 150,000 万元 in all
    db.session.commit()
    login(client, owner)
    response = client.post(f"/projects/{project.id}/needs/new",
                           data=need_form(amount="200000", contact_name=""))
    assert field_errors(response) == {"amount": ["拟融资金额不能超过项目总投资。"],
                                      "contact_name": [REQUIRED]}


# ---- phone numbers wherever one is entered ----------------------------------------------------
@pytest.mark.parametrize("value,valid", [("13812345678", True), ("028-86665000-801", True),
                                         ("86665000", False), ("电话号码", False)])
def test_need_contact_phone(client, owner, value, valid):
    project = factories.make_project(org=owner.org)
    db.session.commit()
    login(client, owner)
    response = client.post(f"/projects/{project.id}/needs/new", data=need_form(contact_phone=value))
    if valid:
        assert response.status_code == 302
    else:
        assert response.status_code == 422
        assert field_errors(response) == {"contact_phone": [PHONE_RULE]}


def test_registration_refuses_a_wrong_phone_number(client):
    from tests.views.test_auth_views import reg_data

    response = client.post("/register", data=reg_data(phone="8666"))
    assert response.status_code in (200, 422)
    assert field_errors(response).get("phone") == [PHONE_RULE]


def test_profile_refuses_a_wrong_phone_number(client, owner):
    login(client, owner)
    response = client.post("/profile", data={"name": owner.name, "phone": "028-123", "title": "",
                                             "locale": "zh"})
    assert field_errors(response).get("phone") == [PHONE_RULE]
    db.session.expire_all()
    assert owner.phone != "028-123"


# ---- the required-field marker ------------------------------------------------------------------
def _marked(html: str, field) -> bool:
    if field.type == "MultiCheckboxField":  # a fieldset whose legend carries the marker
        chunk = next(c for c in html.split("<fieldset")[1:] if f'id="{field.id}-0"' in c)
        return "cp-required" in chunk.split("</legend>")[0]
    label = re.search(rf'<label[^>]*for="{re.escape(field.id)}"[^>]*>.*?</label>\s*'
                      r'<span class="cp-required', html, re.S)
    return label is not None


@pytest.mark.parametrize("url,who,form_names", [
    ("/projects/new", "owner", ["app.projects.forms:ProjectForm"]),
    ("/projects/{project}/needs/new", "owner", ["app.needs.forms:NeedForm"]),
    ("/register", None, ["app.auth.forms:RegisterForm"]),
    ("/login", None, ["app.auth.forms:LoginForm"]),
    ("/password/forgot", None, ["app.auth.forms:ForgotForm"]),
    ("/profile", "owner", ["app.auth.forms:ProfileForm", "app.auth.forms:PasswordForm",
                           "app.auth.forms:TokenForm"]),
])
def test_every_required_field_shows_its_marker(app, client, owner, url, who, form_names):
    project = factories.make_project(org=owner.org)
    db.session.commit()
    if who:
        login(client, owner)
    response = client.get(url.format(project=project.id))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    checked = []
    with app.test_request_context():
        for name in form_names:
            module, cls = name.split(":")
            form = getattr(importlib.import_module(module), cls)(formdata=None)
            for field in form:
                if field.flags.required and field.type != "HiddenField":
                    assert _marked(html, field), f"{url}: {field.name} has no required marker"
                    checked.append(field.name)
    assert checked  # the test looked at something
    if url == "/projects/{project}/needs/new":
        assert "instruments" in checked  # 融资方式


# ---- no English in Chinese messages ------------------------------------------------------------
def _all_forms():
    for module in FORM_MODULES:
        importlib.import_module(module)
    found, todo = [], [FlaskForm, app_forms.FilterForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("app.") and sub.__module__ != "app.forms":
                found.append(sub)
    return sorted(set(found), key=lambda c: (c.__module__, c.__name__))


def test_every_form_uses_the_sites_base_form():
    forms = _all_forms()
    assert len(forms) > 15
    strays = [f.__name__ for f in forms if not issubclass(f, (app_forms.Form, app_forms.FilterForm))]
    assert not strays, f"forms answering with WTForms' own catalog: {strays}"


def _bad_input(form, how: str) -> MultiDict:
    data = MultiDict()
    for field in form:
        if field.name == "csrf_token":
            continue
        if how == "empty" or isinstance(field, BooleanField):
            data.add(field.name, "")
        elif isinstance(field, (DecimalField, IntegerField, DateField)):
            data.add(field.name, "abc")
        elif isinstance(field, SelectFieldBase):
            data.add(field.name, "无此选项")  # echoed in the message: not ASCII
        else:
            data.add(field.name, "x" * 6000)
    return data


@pytest.mark.parametrize("how", ["empty", "garbage"])
def test_no_english_in_chinese_form_messages(app, how):
    seen = 0
    for form_cls in _all_forms():
        with app.test_request_context("/"):
            data = _bad_input(form_cls(formdata=None), how)
        with app.test_request_context("/", method="POST", data=data):
            form = form_cls(formdata=data)
            form.validate()
            for name, messages in form.errors.items():
                for message in messages:
                    seen += 1
                    assert not ASCII_WORD.search(str(message)), \
                        f"{form_cls.__name__}.{name}: {message!r}"
    assert seen > 20


def test_control_characters_are_refused_and_nothing_is_saved(client, owner):
    from tests.views.test_auth_views import reg_data

    response = client.post("/register", data=reg_data(name="张\x01三", email="ctl@test.cn"))
    assert field_errors(response).get("name") == ["请删除此项中随文字一起复制进来的不可见控制字符。"]
    assert accounts.find_user_by_email("ctl@test.cn") is None
    login(client, owner)
    response = client.post("/profile", data={"name": "业主\x1f经办人", "phone": "", "title": "",
                                             "locale": "zh"})
    assert field_errors(response).get("name") == ["请删除此项中随文字一起复制进来的不可见控制字符。"]
    db.session.expire_all()
    assert "\x1f" not in owner.name
