"""The racer's own account: alias and email address, password change and reset (Django's
auth views in the site's look), and deleting the account."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods

from league.accounts import account_update
from league.services import racer_for_user
from racing.accounts import account_delete
from web.api.throttles import throttle_wait
from web.templatetags.league_web import countdown_text

from .forms import AccountDeleteForm, AccountForm, add_service_errors


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def account(request):
    racer = racer_for_user(request.user)
    status = 200
    if request.method == "POST":
        form = AccountForm(request.POST)
        if form.is_valid():
            try:
                account_update(racer, alias=form.cleaned_data["alias"], email=form.cleaned_data["email"])
            except ValidationError as exc:
                add_service_errors(form, exc.message_dict)
            else:
                messages.success(request, "Saved.")
                return redirect("account")
        status = 400
    else:
        form = AccountForm(initial={"alias": racer.alias, "email": request.user.email})
    return render(request, "registration/account.html", {"form": form, "racer": racer}, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def account_delete_view(request):
    racer = racer_for_user(request.user)
    status = 200
    if request.method == "POST":
        form = AccountDeleteForm(request.POST)
        if form.is_valid():
            try:
                account_delete(
                    racer, password=form.cleaned_data["password"],
                    remove_results=form.cleaned_data["remove_results"],
                )  # fmt: skip
            except ValidationError as exc:
                add_service_errors(form, exc.message_dict)
            else:
                logout(request)
                messages.success(request, "Your account is deleted. Thank you for racing.")
                return redirect("home")
        status = 400
    else:
        form = AccountDeleteForm()
    return render(request, "registration/account_delete.html", {"form": form, "racer": racer}, status=status)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's, with the sign-up's limit per address: each request may send a mail."""

    template_name = "registration/reset_request.html"
    email_template_name = "registration/reset_email.txt"
    subject_template_name = "registration/reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        wait_s = throttle_wait(self.request, "signup")
        if wait_s is not None:
            form.add_error(
                None, f"Too many requests from your address just now. Please try again in {countdown_text(wait_s)}."
            )
            response = self.form_invalid(form)
            response.status_code = 429
            response["Retry-After"] = str(wait_s)
            return response
        return super().form_valid(form)


# Django's views with the site's templates (web/templates/registration/; names of our own,
# since the admin's templates sit under the same names Django would look for).
password_change = auth_views.PasswordChangeView.as_view(template_name="registration/password_change.html")
password_change_done = auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_changed.html")
password_reset = PasswordResetView.as_view()
password_reset_done = auth_views.PasswordResetDoneView.as_view(template_name="registration/reset_sent.html")
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(template_name="registration/reset_confirm.html")
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="registration/reset_complete.html"
)
