"""The pages an invitation or password-reset link opens: a short form, styled like the recipients' pages."""

from html import escape

from api.recipient_pages import page


def _form(fields: str, action: str, error: str | None) -> str:
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return f'{problem}<form method="post">{fields}<button type="submit">{escape(action)}</button></form>'


def _password_field(label: str) -> str:
    return (f'<label for="password">{escape(label)}</label>'
            '<input id="password" name="password" type="password" autocomplete="new-password" minlength="10" '
            'maxlength="200" required aria-describedby="password-hint">'
            '<p id="password-hint" class="state">At least 10 characters.</p>')  # fmt: skip


def invitation_page(*, project: str, email: str, role: str, error: str | None = None) -> str:
    intro = (f"<p>You are invited to join <strong>{escape(project)}</strong> as <strong>{escape(role)}</strong>, "
             f"as {escape(email)}. Choose your name and a password (or give your password, if this address has "
             "an account already).</p>")  # fmt: skip
    name = '<label for="name">Your name</label><input id="name" name="name" autocomplete="name" maxlength="200">'
    return page(project=project, title="Join the team", lang="en",
                body=intro + _form(name + _password_field("Password"), "Join", error))  # fmt: skip


def reset_page(*, email: str, error: str | None = None) -> str:
    intro = f"<p>Choose a new password for {escape(email)}. Every session of the account ends.</p>"
    return page(project="Tempogram", title="Choose a new password", lang="en",
                body=intro + _form(_password_field("New password"), "Set the password", error))  # fmt: skip


def done_page(*, project: str, title: str, message: str) -> str:
    return page(project=project, title=title, lang="en",
                body=f'<p>{escape(message)}</p><p><a href="/docs">Open the API documentation</a></p>')  # fmt: skip


def broken_link_page(reason: str) -> str:
    return page(project="Tempogram", title="This link does not work", lang="en",
                body=f'<p role="alert">{escape(reason)}</p>')  # fmt: skip
