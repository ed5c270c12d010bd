from django.apps import AppConfig


class LadderConfig(AppConfig):
    name = "ladder"
    verbose_name = "Head-to-head ladder"

    def ready(self) -> None:
        # Imported once the apps are loaded (models inside): a qualifying result in a
        # head-to-head race starts the race's pairing rounds.
        from racing.signals import result_landed

        # The rounds import the models, loaded only now.
        from .rounds import on_result_landed

        result_landed.connect(on_result_landed, dispatch_uid="ladder-result-landed")
