"""Word lists that make the demo's item descriptions read like a real catalogue.

The site is a general distribution centre: hardware, household goods and a
chilled grocery range. Each category enumerates every description it can
make; the demo samples from that list, so descriptions never repeat.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Category:
    name: str
    share: float                 # of all items
    variants: Callable[[], list[tuple[str, str]]]  # every (description, uom) it can make
    tracking: str = "none"
    perishable: bool = False
    cost: tuple[float, float] = (0.05, 20.0)  # unit cost range, drawn log-uniform
    zone: str | None = None      # fixed preferred zone; None: chosen by ABC class


def family(fmt: str, uom: str = "ea", **axes) -> list[tuple[str, str]]:
    """Every filling of ``fmt`` from the axes: family("{a} {b}", a=(1, 2), b="xy") -> 4 rows."""
    names = list(axes)
    return [(fmt.format(**dict(zip(names, values))), uom) for values in itertools.product(*axes.values())]


HARDWARE_BRANDS = ("Ironjaw", "Torkmann", "Kestrel", "Forgeline", "Northwall", "Brisk")
HOME_BRANDS = ("Brightly", "Homely", "Clearday", "Everkind", "Pure & Simple", "Tidy Co.")
FOOD_BRANDS = ("Greenacre", "Hillside", "Morning Fields", "Coldbrook", "Riverbend", "Dalewood", "Oakvale",
               "Meadowgold")
METRIC = ("M3", "M4", "M5", "M6", "M8", "M10", "M12", "M16")
LENGTHS = (8, 10, 12, 16, 20, 25, 30, 35, 40, 50, 60, 70, 80, 100, 120)
FINISH = ("zinc", "stainless A2", "stainless A4", "galvanised", "black oxide", "brass", "yellow zinc")
COLOURS = ("brilliant white", "magnolia", "pebble grey", "duck egg", "sage green", "navy", "charcoal",
           "terracotta", "cream", "black", "soft stone", "ochre", "dove grey", "forest green")


def fasteners():
    return (family("{kind} {size}x{length} {finish}", size=METRIC, length=LENGTHS, finish=FINISH,
                   kind=("Hex bolt", "Hex set screw", "Coach bolt", "Socket cap screw", "Machine screw pan head"))
            + family("{kind} {size} {finish}", size=METRIC, finish=FINISH,
                     kind=("Hex nut", "Nylon lock nut", "Flange nut", "Flat washer", "Spring washer", "Wing nut"))
            + family("Threaded rod {size} x 1 m {finish}", size=METRIC, finish=FINISH))


def screws():
    return family("{kind} {gauge}x{length} {finish}", gauge=(3, 3.5, 4, 4.5, 5, 6), length=LENGTHS,
                  kind=("Wood screw", "Chipboard screw", "Decking screw", "Drywall screw", "Concrete screw"),
                  finish=("zinc", "stainless", "yellow zinc", "black phosphate"))


def hand_tools():
    tools = (family("Claw hammer {oz} oz {handle}", oz=(8, 12, 16, 20), handle=("fibreglass", "steel", "hickory"))
             + family("Screwdriver {tip} x {length}", tip=("PH1", "PH2", "PZ1", "PZ2", "SL4", "SL6", "T20", "T25"),
                      length=(75, 100, 150))
             + family("Combination spanner {mm} mm", mm=range(6, 25))
             + family("Socket {drive} in drive {mm} mm", drive=("1/4", "3/8", "1/2"), mm=range(8, 25))
             + family("Tape measure {m} m {kind}", m=(3, 5, 8), kind=("magnetic", "auto-lock"))
             + family("Spirit level {mm} mm {kind}", mm=(600, 1200), kind=("box beam", "torpedo"))
             + family("Pliers {kind} {mm} mm", kind=("combination", "long nose", "side cutting"), mm=(160, 200))
             + family("Drill bit HSS {mm} mm", mm=(2, 3, 4, 5, 6, 8, 10))
             + family("Chisel {kind} {mm} mm", kind=("wood", "cold"), mm=(12, 19, 25)))
    return [(f"{brand} {desc}", uom) for brand in HARDWARE_BRANDS for desc, uom in tools]


def power_tools():
    tools = (family("Cordless drill {v} V {kind}", v=(12, 18, 36), kind=("brushless", "combi", "compact"))
             + family("Impact driver {v} V {kind}", v=(12, 18), kind=("brushless", "3-speed"))
             + family("Angle grinder {mm} mm {w} W", mm=(115, 125, 230), w=(750, 900, 2200))
             + family("Circular saw {mm} mm {w} W", mm=(165, 190, 235), w=(1200, 1400))
             + family("Jigsaw {w} W pendulum", w=(650, 800))
             + family("SDS hammer drill {w} W", w=(800, 1050, 1500))
             + family("Random orbit sander {mm} mm", mm=(125, 150))
             + family("Multi-tool {v} V oscillating", v=(12, 18))
             + family("Heat gun {w} W", w=(1600, 2000)))
    return [(f"{brand} {desc}, {kit}", uom) for brand in HARDWARE_BRANDS for desc, uom in tools
            for kit in ("body only", "kit with 2 batteries")]


def electrical():
    items = (family("LED bulb {cap} {w} W {tone}", cap=("E27", "E14", "GU10", "B22"), w=(5, 7, 9, 11),
                    tone=("warm white", "cool white", "daylight"))
             + family("Cable tie {mm} mm {colour} pack of 100", mm=(100, 200, 300), colour=("black", "natural"))
             + family("Extension lead {ways}-way {m} m", ways=(1, 2, 4, 6), m=(2, 5, 10))
             + family("Twin and earth cable {mm2} mm2 {m} m", mm2=(1, 1.5, 2.5, 6), m=(25, 50, 100))
             + family("Socket outlet {kind} {finish}", kind=("single", "double"), finish=("white", "chrome", "brushed steel"))
             + family("Insulation tape 19 mm x 20 m {colour}", colour=("black", "red", "blue", "yellow", "green/yellow"))
             + family("Battery {size} alkaline pack of {n}", size=("AA", "AAA", "C", "D", "9 V"), n=(4, 8, 12))
             + family("Light switch {gang}-gang {way}-way {finish}", gang=(1, 2, 3), way=(1, 2),
                      finish=("white", "chrome", "brushed steel"))
             + family("Fuse {a} A pack of {n}", a=(3, 5, 13), n=(4, 10))
             + family("Junction box {a} A {t}-terminal", a=(20, 30, 60), t=(3, 4, 5))
             + family("Lever connector {n}-way pack of {p}", n=(2, 3, 5), p=(10, 50))
             + family("Cable clip {mm} mm {colour} pack of 100", mm=(5, 7, 10, 12), colour=("white", "grey")))
    return [(f"{brand} {desc}", uom) for brand in HARDWARE_BRANDS for desc, uom in items]


def plumbing():
    items = (family("{joint} {fitting} {mm} mm", mm=(10, 15, 22, 28),
                    joint=("Compression", "Push-fit", "Solder ring", "End feed"),
                    fitting=("elbow", "tee", "straight coupler", "reducer", "end cap", "tank connector",
                             "wall plate elbow", "equal tee 45°"))
             + family("Isolating valve {mm} mm {finish}", mm=(15, 22), finish=("chrome", "brass"))
             + family("Copper pipe {mm} mm x {m} m", mm=(15, 22, 28), m=(2, 3))
             + family("Pipe clip {mm} mm pack of {n}", mm=(15, 22, 28), n=(10, 20))
             + family("Waste trap {mm} mm {kind}", mm=(32, 40), kind=("P", "S", "bottle")))
    return [(f"{brand} {desc}", uom) for brand in HARDWARE_BRANDS for desc, uom in items]


def household():
    items = (family("Dish soap {scent} {ml} ml", scent=("lemon", "original", "lime", "sensitive"), ml=(450, 900))
             + family("Bin bags {l} l x {n}", l=(30, 60, 90), n=(10, 20, 40))
             + family("Laundry liquid {kind} {l} l", kind=("bio", "non-bio", "colour"), l=(1, 1.5, 2.5))
             + family("Microfibre cloth {colour} pack of {n}", colour=("blue", "green", "yellow", "red"), n=(5, 10))
             + family("Surface spray {kind} {ml} ml", kind=("antibacterial", "glass", "kitchen", "bathroom"), ml=(500, 750))
             + family("Hand soap {scent} {ml} ml", scent=("aloe", "lavender", "citrus", "unscented"), ml=(250, 500))
             + family("Storage box {l} l {colour}", l=(9, 14, 24, 32, 45, 64), colour=("clear", "black", "grey"))
             + family("Kitchen roll {n}-pack {ply}", n=(2, 4, 6), ply=("2-ply", "3-ply"))
             + family("Toilet roll {n}-pack {ply}", n=(4, 9, 12, 24), ply=("2-ply", "3-ply"))
             + family("Food bags {l} l pack of {n}", l=(1, 3, 6), n=(50, 100))
             + family("Dishwasher tablets {kind} x {n}", kind=("original", "lemon", "all-in-one"), n=(30, 60, 90))
             + family("Washing-up gloves {size} {colour}", size=("S", "M", "L"), colour=("yellow", "pink", "blue"))
             + family("Air freshener {scent} {kind}", scent=("linen", "citrus", "vanilla", "pine", "ocean"),
                      kind=("spray", "plug-in refill")))
    return [(f"{brand} {desc}", uom) for brand in HOME_BRANDS for desc, uom in items]


def garden():
    loose = family("{what} {grade} (loose)", "kg", what=("Grass seed", "Wild flower seed", "Lawn feed",
                                                         "Chicken manure pellets", "Bird seed", "Slow-release fertiliser"),
                   grade=("hard-wearing", "shady areas", "premium", "all-purpose", "trade"))
    goods = (family("Plant pot {cm} cm {colour}", cm=(12, 15, 20, 25, 30, 40), colour=("terracotta", "black", "grey", "green"))
             + family("Garden hose {m} m {kind}", m=(15, 25, 30, 50), kind=("standard", "anti-kink"))
             + family("Gardening gloves {kind} {size}", kind=("leather", "latex", "thorn-proof"), size=("S", "M", "L", "XL"))
             + family("Compost {kind} {l} l bag", kind=("multi-purpose", "peat-free", "ericaceous"), l=(10, 40, 60))
             + family("Secateurs {kind}", kind=("bypass", "anvil", "ratchet"))
             + family("Hose connector {kind} 1/2 in", kind=("standard", "stop", "tap", "double male"))
             + family("Plant ties {kind} {m} m", kind=("soft", "wire", "hook-and-loop"), m=(5, 10, 20)))
    return loose + [(f"{brand} {desc}", uom) for brand in HOME_BRANDS for desc, uom in goods]


def paint():
    return (family("Emulsion {finish} {colour} {l} l", finish=("matt", "silk", "eggshell"), colour=COLOURS, l=(1, 2.5, 5, 10))
            + family("Gloss paint {colour} {ml} ml", colour=COLOURS, ml=(250, 750))
            + family("Masonry paint {colour} {l} l", colour=COLOURS, l=(5, 10))
            + family("Wood stain {wood} {ml} ml", wood=("oak", "walnut", "teak", "ebony", "pine", "mahogany"),
                     ml=(250, 750)))


def bulk():
    return (family("{what} {grade}", "kg", grade=("bulk", "loose", "trade", "washed", "graded"),
                   what=("Building sand", "Sharp sand", "Cement", "Kiln-dried sand", "Rock salt", "Gravel 10 mm",
                         "Gravel 20 mm", "Postcrete", "Lime", "Plaster", "Ballast", "Sawdust", "Wood pellets",
                         "Silica sand", "Hydrated lime", "Topsoil", "Bark mulch", "Play sand", "Grit", "Slate chippings"))
            + family("{what} {grade}", "l", grade=("bulk", "drum", "trade", "IBC", "jerrycan"),
                     what=("Engine oil 5W-30", "Engine oil 10W-40", "Screenwash", "Antifreeze", "White spirit",
                           "Deionised water", "Hydraulic oil", "Bleach", "Floor cleaner", "Degreaser",
                           "Hand sanitiser", "Chain oil", "Diesel additive", "AdBlue", "Descaler", "Glass cleaner",
                           "Paint thinner", "Linseed oil", "Methylated spirit", "Dishwasher rinse aid")))


def safety():
    items = (family("Safety boots size {size} {rating}", size=range(3, 14), rating=("S1P", "S3"))
             + family("Hi-vis vest {colour} {size}", colour=("yellow", "orange"), size=("S", "M", "L", "XL", "XXL", "3XL"))
             + family("Work gloves {kind} size {size}", kind=("nitrile", "cut-resistant", "leather", "thermal"),
                      size=(7, 8, 9, 10, 11))
             + family("Dust mask {rating} pack of {n}", rating=("FFP2", "FFP3"), n=(3, 10, 20))
             + family("Hard hat {colour}", colour=("white", "yellow", "blue", "red", "green"))
             + family("Safety glasses {lens}", lens=("clear", "tinted", "anti-fog", "amber"))
             + family("Ear defenders SNR {db} dB", db=(27, 30, 33))
             + family("Knee pads {kind}", kind=("foam", "gel", "hard-shell"))
             + family("Safety harness size {size}", size=("M-L", "L-XL", "universal")))
    return [(f"{brand} {desc}", uom) for brand in HARDWARE_BRANDS for desc, uom in items]


def packaging():
    return (family("Cardboard box {wall} wall {l}x{w}x{h} mm", wall=("single", "double"), l=(254, 305, 381, 457, 610),
                   w=(178, 229, 305, 457), h=(102, 152, 178, 229, 305))
            + family("Packing tape {kind} 48 mm x {m} m", kind=("clear", "brown", "fragile"), m=(66, 132))
            + family("Stretch wrap {mm} mm x {m} m", mm=(250, 400, 500), m=(150, 250, 300))
            + family("Mailing bag {colour} {w}x{h} mm", colour=("grey", "white", "recycled"), w=(250, 305, 430),
                     h=(350, 400, 500))
            + family("Bubble wrap {mm} mm x {m} m", mm=(300, 500, 750, 1000), m=(10, 50, 100))
            + family("Shipping label {size} mm roll of {n}", size=("100x150", "100x100", "50x25"), n=(250, 500, 1000))
            + family("Kraft paper roll {mm} mm x {m} m", mm=(500, 750, 900), m=(25, 50, 200))
            + family("Padded envelope size {size} {colour}", size="ABCDEFGHJK", colour=("white", "gold")))


def chilled():
    by_weight = family("{brand} {what}, cut to weight", "kg", brand=FOOD_BRANDS,
                       what=("Cheddar mature", "Cheddar mild", "Red Leicester", "Gouda", "Brie", "Ham, honey roast",
                             "Salami", "Smoked salmon", "Chicken breast fillets", "Beef mince 5% fat",
                             "Pork sausages", "Turkey breast"))
    packs = (family("Oat milk {kind} {size}", kind=("barista", "original", "light", "unsweetened"), size=("500 ml", "1 l"))
             + family("Semi-skimmed milk {pt} pt", pt=(1, 2, 4))
             + family("Greek yoghurt {flavour} {g} g", flavour=("natural", "honey", "strawberry", "0% fat"), g=(150, 500))
             + family("Butter {kind} {g} g", kind=("salted", "unsalted", "spreadable"), g=(250, 500))
             + family("Cheddar {kind} {g} g", kind=("mature", "extra mature", "mild"), g=(200, 400))
             + family("Hummus {flavour} {g} g", flavour=("classic", "red pepper", "lemon", "caramelised onion"), g=(200, 300))
             + family("Fresh pasta {kind} {g} g", kind=("tagliatelle", "penne", "tortellini spinach", "ravioli mushroom"),
                      g=(250, 500))
             + family("Free-range eggs {size} {n}", size=("medium", "large"), n=(6, 12))
             + family("Cream {kind} {ml} ml", kind=("single", "double", "whipping"), ml=(150, 300)))
    return by_weight + [(f"{brand} {desc}", uom) for brand in FOOD_BRANDS for desc, uom in packs]


CATEGORIES = (
    Category("fasteners", 0.16, fasteners, cost=(0.02, 1.5)),
    Category("screws", 0.10, screws, cost=(0.02, 0.8)),
    Category("hand tools", 0.10, hand_tools, cost=(1.5, 45.0)),
    Category("power tools", 0.03, power_tools, tracking="serial", cost=(39.0, 420.0), zone="A"),
    Category("electrical", 0.12, electrical, cost=(0.4, 60.0)),
    Category("plumbing", 0.10, plumbing, cost=(0.3, 35.0)),
    Category("household", 0.10, household, cost=(0.6, 15.0)),
    Category("garden", 0.06, garden, cost=(0.8, 40.0)),
    Category("paint", 0.03, paint, tracking="lot", cost=(3.0, 55.0)),
    Category("bulk", 0.03, bulk, cost=(0.1, 4.0), zone="A"),
    Category("safety", 0.06, safety, cost=(0.8, 45.0)),
    Category("packaging", 0.04, packaging, cost=(0.05, 30.0)),
    Category("chilled", 0.07, chilled, tracking="lot", perishable=True, cost=(0.4, 18.0), zone="C"),
)
