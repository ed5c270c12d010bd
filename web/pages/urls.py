"""The pages, served at the site root (config/urls.py includes this module)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import community, organise, replays, views

urlpatterns = [
    path("", views.home, name="home"),
    path("races/", community.race_list, name="races"),
    path("races/<int:race_id>/", views.race_detail, name="race"),
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
    path("tracks/", views.track_list, name="tracks"),
    path("tracks/<slug:slug>/", views.track_detail, name="track"),
    path("results/<int:result_id>/replay/", replays.replay_page, name="result-replay"),
    path("tracks/<slug:slug>/map.png", replays.track_map, name="track-map"),
    path("tracks/<slug:slug>/track.npy", replays.track_file, name="track-file"),
    path("racers/<str:alias>/", views.racer_profile, name="racer"),
    path("garage/", views.garage, name="garage"),
    path("submissions/<int:submission_id>/", views.submission_detail, name="submission"),
    path("accounts/signup/", views.signup, name="signup"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/token/", views.token_rotate, name="token-rotate"),
]
