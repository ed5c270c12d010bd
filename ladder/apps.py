from django.apps import AppConfig


class LadderConfig(AppConfig):
    name = "ladder"
    verbose_name = "Head-to-head ladder"

    def ready(self) -> None:
        # Imported once the apps are loaded (models inside): a qualifying result in a
        # head-to-head race starts the race's pairing rounds.
        from racing.signals import reclaim_due, result_landed

        # The rounds and videos import the models, loaded only now.
        from .rounds import on_result_landed
        from .videos import on_reclaim_due

        result_landed.connect(on_result_landed, dispatch_uid="ladder-result-landed")
        # The races' reclaim pass queues again the match videos whose worker died.
        reclaim_due.connect(on_reclaim_due, dispatch_uid="ladder-videos-reclaim")
