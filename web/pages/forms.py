"""Forms of the pages. They only collect input; the rules (and most error messages)
come from the services they feed (league.services.racer_signup, racing.services
.model_upload, racing.services.submission_create)."""

from __future__ import annotations

from django import forms

from league.services import signup_errors
from racing.models import PolicyModel
from racing.uploads import SWAPPED_METADATA
from web.templatetags.league_web import sensor_labels


def add_service_errors(form: forms.Form, errors: dict[str, list[str]], field_map=None) -> None:
    """Put a service's {field: [messages]} next to the form's fields (the rest on top)."""
    field_map = field_map or {}
    for key, messages in errors.items():
        field = field_map.get(key, key)
        if field not in form.fields:
            field = None
        for message in messages if isinstance(messages, (list, tuple)) else [messages]:
            form.add_error(field, str(message))


def service_error_text(exc) -> str:
    """A service's ValidationError as one line, for a page without a form to hold it."""
    return " ".join(str(m) for messages in exc.message_dict.values() for m in messages)


class SignupForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        help_text="For signing in. Letters, digits and @ . + - _ only.",
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    alias = forms.CharField(
        label="Racer alias",
        max_length=40,
        help_text="Your public name on every leaderboard (3 to 40 characters).",
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    email = forms.CharField(
        label="Email (optional)",
        required=False,
        max_length=254,
        help_text="Only for resetting a forgotten password; never shown to anyone.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not only digits, not a common password.",
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", "The two passwords differ; type the same password twice.")
        # Every problem at once: the service's checks too, on what the fields let through
        # (racer_signup checks again when it creates the racer).
        found = signup_errors(**{name: data.get(name) or "" for name in ("username", "password", "alias", "email")})
        add_service_errors(self, {field: m for field, m in found.items() if field not in self.errors})
        return data


class AccountForm(forms.Form):
    """The racer's alias and email address (league.accounts.account_update)."""

    alias = forms.CharField(
        label="Racer alias",
        max_length=40,
        help_text="Your public name on every leaderboard; your results follow a new alias.",
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    email = forms.CharField(
        label="Email",
        required=False,
        max_length=254,
        help_text="Where a password reset link goes. Empty: nobody can reset your password.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="To confirm that it is you.",
    )
    remove_results = forms.BooleanField(
        label="Remove my results too",
        required=False,
        help_text="Otherwise your results stay on the boards that are final, under “Deleted racer”.",
    )


class ModelEnterForm(forms.Form):
    """Enter a model in a race from its garage row."""

    race = forms.IntegerField(error_messages={"required": "Choose a race.", "invalid": "Choose a race."})


class ModelUploadForm(forms.Form):
    name = forms.CharField(
        label="Model name",
        max_length=80,
        help_text="Your name for this model, e.g. “ppo-lidar-v3”.",
        widget=forms.TextInput(attrs={"placeholder": "ppo-lidar-v3", "autocomplete": "off"}),
    )
    onnx = forms.FileField(
        label="model.onnx",
        required=False,
        help_text="The exported policy (ONNX).",
        widget=forms.ClearableFileInput(attrs={"accept": ".onnx"}),
    )
    metadata = forms.FileField(
        label="model_metadata.json",
        required=False,
        help_text="DeepRacer-style metadata: action_space, sensor, action_space_type.",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )
    archive = forms.FileField(
        label="…or a DeepRacer console export",
        required=False,
        help_text="The .tar.gz the DeepRacer console exported (frozen graph + metadata): converted on upload.",
        widget=forms.ClearableFileInput(attrs={"accept": ".gz,.tgz,.tar,application/gzip"}),
    )

    def add_error(self, field, error):
        # The upload service names swapped files on both fields (the API answers per
        # field); here one message says it, next to model.onnx, where the JSON went.
        if error == SWAPPED_METADATA:
            return
        super().add_error(field, error)

    def clean(self):
        data = super().clean()
        if data.get("archive"):
            if data.get("onnx") or data.get("metadata"):
                self.add_error("archive", "Upload the console export or model.onnx + model_metadata.json, not both.")
        else:
            if not data.get("onnx"):
                self.add_error("onnx", "Choose the exported policy file (model.onnx), or a console export below.")
            if not data.get("metadata"):
                self.add_error("metadata", "Choose the model_metadata.json file.")
        return data


class ModelChoice(forms.ModelChoiceField):
    def __init__(self, *args, allowed_sensors=(), **kwargs):
        self.allowed_sensors = set(allowed_sensors or [])
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: PolicyModel) -> str:
        label = f"{obj.name} · {sensor_labels(obj.sensors)}"
        if self.allowed_sensors and not set(obj.sensors) <= self.allowed_sensors:
            label += " (sensors not allowed here)"
        return label


class SubmitForm(forms.Form):
    """Enter one of your models in a race."""

    model = ModelChoice(
        queryset=PolicyModel.objects.none(),
        label="Your model",
        empty_label=None,
        error_messages={"invalid_choice": "Choose one of your own models."},
    )

    def __init__(self, *args, models=None, race=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["model"]
        if models is not None:
            field.queryset = models
        if race is not None:
            field.allowed_sensors = set(race.allowed_sensors or [])
