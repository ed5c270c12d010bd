"""The pages, served at the site root (config/urls.py includes this module)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import accounts, community, failures, garage, organise, replays, views
from . import help as help_pages
from . import nights

urlpatterns = [
    path("", views.home, name="home"),
    path("races/", community.race_list, name="races"),
    path("races/<int:race_id>/", views.race_detail, name="race"),
    path("races/<int:race_id>/rules/", help_pages.race_rules, name="race-rules"),
    path("races/<int:race_id>/live/", nights.watch, name="race-live"),
    path("races/<int:race_id>/overlay/", nights.overlay, name="race-overlay"),
    path("races/<int:race_id>/kiosk/", nights.kiosk, name="race-kiosk"),
    path("races/<int:race_id>/kiosk/qr.svg", nights.kiosk_qr, name="race-kiosk-qr"),
    path("organise/races/<int:race_id>/control/", nights.control_desk, name="organise-race-control"),
    path("races/join/<str:token>/", community.race_join, name="race-join"),
    path("organise/", organise.console, name="organise"),
    path("organise/new/", organise.race_new, name="organise-new"),
    path("organise/tracks/", organise.track_upload, name="organise-track-upload"),
    path("organise/races/<int:race_id>/", organise.race_manage, name="organise-race"),
    path("organise/races/<int:race_id>/close/", organise.race_close, name="organise-race-close"),
    path("organise/races/<int:race_id>/extend/", organise.race_extend, name="organise-race-extend"),
    path("organise/races/<int:race_id>/invite/reset/", organise.invite_reset, name="organise-invite-reset"),
    path("organise/races/<int:race_id>/racers/<str:alias>/remove/", organise.racer_remove,
         name="organise-racer-remove"),
    path("seasons/", views.season_list, name="seasons"),
    path("seasons/<slug:slug>/", views.season_detail, name="season"),
    path("guide/", help_pages.guide, name="guide"),
    path("tracks/", views.track_list, name="tracks"),
    path("tracks/<slug:slug>/", views.track_detail, name="track"),
    path("results/<int:result_id>/replay/", replays.replay_page, name="result-replay"),
    path("tracks/<slug:slug>/map.png", replays.track_map, name="track-map"),
    path("tracks/<slug:slug>/track.npy", replays.track_file, name="track-file"),
    path("racers/<str:alias>/", views.racer_profile, name="racer"),
    path("garage/", views.garage, name="garage"),
    path("submissions/<int:submission_id>/", views.submission_detail, name="submission"),
    path("submissions/<int:submission_id>/replay/", failures.partial_replay_page, name="submission-replay"),
    path("accounts/signup/", views.signup, name="signup"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/token/", views.token_rotate, name="token-rotate"),
    path("accounts/", accounts.account, name="account"),
    path("accounts/delete/", accounts.account_delete_view, name="account-delete"),
    path("accounts/password/", accounts.password_change, name="password_change"),
    path("accounts/password/done/", accounts.password_change_done, name="password_change_done"),
    path("accounts/password/reset/", accounts.password_reset, name="password_reset"),
    path("accounts/password/reset/sent/", accounts.password_reset_done, name="password_reset_done"),
    path("accounts/password/reset/done/", accounts.password_reset_complete, name="password_reset_complete"),
    path("accounts/password/reset/<uidb64>/<token>/", accounts.password_reset_confirm,
         name="password_reset_confirm"),
    path("garage/models/<int:model_id>/enter/", garage.model_enter, name="garage-model-enter"),
    path("garage/models/<int:model_id>/rename/", garage.model_rename_view, name="garage-model-rename"),
    path("garage/models/<int:model_id>/delete/", garage.model_delete_view, name="garage-model-delete"),
]
