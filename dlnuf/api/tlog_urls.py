from django.urls import path, register_converter

from dlnuf.api import tlog

register_converter(tlog.TileLevelConverter, "tile_level")
register_converter(tlog.TileIndexConverter, "tile_index")
register_converter(tlog.TileWidthConverter, "tile_width")

app_name = "tlog"
urlpatterns = [
    path("checkpoint", tlog.checkpoint, name="checkpoint"),
    path("vkey", tlog.verifier_key, name="vkey"),
    path("cosignatures", tlog.cosignatures, name="cosignatures"),
    path("tile/<tile_level:level>/<tile_index:index>", tlog.tile, name="tile"),
    path(
        "tile/<tile_level:level>/<tile_index:index>.p/<tile_width:width>",
        tlog.partial_tile,
        name="partial_tile",
    ),
]
