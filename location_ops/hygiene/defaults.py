"""The default checklists a fresh install starts with (the operator edits them afterwards).

The migration carries a frozen copy of this list; ``service.ensure_templates`` installs it
on first use where a kind has no template at all.
"""

from __future__ import annotations

#: kind → [(key, Dutch text, English text, supply?)]
DEFAULT_TEMPLATES: dict[str, list[tuple[str, str, str, bool]]] = {
    "turnover": [
        ("linen", "Beddengoed en handdoeken verschoond", "Linen and towels changed", False),
        ("surfaces", "Oppervlakken gedesinfecteerd", "Surfaces disinfected", False),
        ("bathroom", "Badkamer en toilet gedesinfecteerd", "Bathroom and toilet disinfected", False),
        ("bins", "Prullenbakken geleegd", "Bins emptied", False),
        ("condoms", "Condooms aangevuld", "Condoms stocked", True),
        ("lubricant", "Glijmiddel aangevuld", "Lubricant stocked", True),
        ("gloves", "Handschoenen aangevuld", "Gloves stocked", True),
        ("sharps", "Naaldenbak in orde (dicht, niet te vol)", "Sharps container fine (closed, not too full)",
         False),
        ("ventilation", "Kamer gelucht, ventilatie aan", "Room aired, ventilation on", False),
        ("panic_button", "Alarmknop op zijn plek en lampje brandt", "Panic button in place and its light on",
         False),
    ],
    "daily": [
        ("surfaces", "Oppervlakken en deurklinken gedesinfecteerd", "Surfaces and door handles disinfected",
         False),
        ("bathroom", "Badkamer en toilet gedesinfecteerd", "Bathroom and toilet disinfected", False),
        ("floor", "Vloer gedweild", "Floor mopped", False),
        ("bins", "Prullenbakken geleegd", "Bins emptied", False),
        ("condoms", "Condooms aangevuld", "Condoms stocked", True),
        ("lubricant", "Glijmiddel aangevuld", "Lubricant stocked", True),
        ("gloves", "Handschoenen aangevuld", "Gloves stocked", True),
        ("soap", "Zeep en papieren handdoeken aangevuld", "Soap and paper towels stocked", True),
        ("sharps", "Naaldenbak in orde (dicht, niet te vol)", "Sharps container fine (closed, not too full)",
         False),
        ("ventilation", "Ventilatie werkt", "Ventilation works", False),
        ("panic_button", "Alarmknop op zijn plek en lampje brandt", "Panic button in place and its light on",
         False),
    ],
    "weekly": [
        ("mattress", "Matras en matrasbeschermer gereinigd", "Mattress and mattress protector cleaned", False),
        ("walls", "Wanden, schakelaars en deuren afgenomen", "Walls, switches and doors wiped", False),
        ("bathroom_deep", "Badkamer ontkalkt, afvoer gereinigd", "Bathroom descaled, drains cleaned", False),
        ("upholstery", "Gordijnen en stoffering schoon en heel", "Curtains and upholstery clean and intact",
         False),
        ("expiry", "Houdbaarheid condooms en glijmiddel gecontroleerd", "Expiry dates of condoms and lubricant "
         "checked", False),
        ("sharps_swap", "Naaldenbak vervangen als hij vol raakt", "Sharps container replaced when getting full",
         False),
        ("first_aid", "EHBO-doos compleet", "First-aid kit complete", True),
        ("ventilation_grille", "Ventilatierooster schoongemaakt", "Ventilation grille cleaned", False),
        ("panic_button", "Alarmknop op zijn plek en lampje brandt", "Panic button in place and its light on",
         False),
    ],
}
