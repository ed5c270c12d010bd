"""Static files in production: the storage `collectstatic` writes, and WhiteNoise serving
it (config/settings.py, STATIC_COLLECTED)."""

from pathlib import Path

from django.conf import settings
from whitenoise.middleware import WhiteNoiseMiddleware
from whitenoise.storage import CompressedManifestStaticFilesStorage


class HashedStaticStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's compressed, content-hashed files, with the imports between the pages'
    ES modules rewritten to the hashed names too: a page's modules then all come from one
    collect (a browser never mixes a cached old `format.js` with a new `site.js`), and every
    one of them may be cached for a year."""

    support_js_module_import_aggregation = True
    # A name missing from the manifest (a file added without `collectstatic`) keeps its plain
    # name instead of failing the whole page.
    manifest_strict = False


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise. Without a collect (DEBUG, the tests) the files come from the apps'
    folders, and a STATIC_ROOT that was never made is no cause for its warning; in
    production its absence is (`collectstatic` was not run), and WhiteNoise says so."""

    def add_files(self, root, prefix=None):
        if not settings.STATIC_COLLECTED and not Path(root).is_dir():
            return
        super().add_files(root, prefix)
