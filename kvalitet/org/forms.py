from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional


class LoginForm(FlaskForm):
    email = EmailField(
        "E-postadress",
        validators=[DataRequired("Ange din e-postadress."), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Lösenord",
        validators=[DataRequired("Ange ditt lösenord."), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class PasswordForm(FlaskForm):
    current = PasswordField(
        "Nuvarande lösenord",
        validators=[DataRequired("Ange ditt nuvarande lösenord.")],
        render_kw={"autocomplete": "current-password"},
    )
    new = PasswordField(
        "Nytt lösenord",
        validators=[DataRequired("Ange ett nytt lösenord."), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )
    repeat = PasswordField(
        "Upprepa nytt lösenord",
        validators=[DataRequired("Upprepa det nya lösenordet.")],
        render_kw={"autocomplete": "new-password"},
    )


class UnitForm(FlaskForm):
    name = StringField("Namn", validators=[DataRequired("Ange ett namn."), Length(max=200)])
    kind = SelectField("Typ", validators=[DataRequired("Välj typ.")])
    parent_id = SelectField("Överordnad enhet", coerce=int, validate_choice=False)
    public = BooleanField("Visas i e-tjänsten för synpunkter")


class UserForm(FlaskForm):
    name = StringField("Namn", validators=[DataRequired("Ange namn."), Length(max=200)])
    email = EmailField(
        "E-postadress",
        validators=[DataRequired("Ange e-postadress."), Email("Ange en giltig e-postadress.")],
    )
    title = StringField("Titel", validators=[Optional(), Length(max=200)])
    home_unit_id = SelectField("Arbetsplats (enhet)", coerce=int, validate_choice=False)
    active = BooleanField("Aktiv", default=True)
    password = PasswordField(
        "Lösenord (lämna tomt för att inte ändra)",
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )


class RoleForm(FlaskForm):
    role = SelectField("Roll", validators=[DataRequired("Välj roll.")])
    unit_id = SelectField("Vid enhet (gäller även underenheter)", coerce=int, validate_choice=False)


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "E-postadress",
        validators=[DataRequired("Ange din e-postadress."), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )


class ResetPasswordForm(FlaskForm):
    new = PasswordField(
        "Nytt lösenord",
        validators=[DataRequired("Ange ett nytt lösenord."), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )
    repeat = PasswordField(
        "Upprepa nytt lösenord",
        validators=[DataRequired("Upprepa det nya lösenordet.")],
        render_kw={"autocomplete": "new-password"},
    )
