"""The sandbox's vocabulary: categories, models, UK towns and seller names.

Plain constant data (immutable tuples), so generated listings read like real ones and
place filters have coordinates to work with. The demo draws the listing it posts for a new
search from here too (``scrapers.sandbox.picker``), so the catalogue covers every built-in
template and the searches people usually try first.

Prices (``Model.low``–``Model.high``) are rough typical UK second-hand asking prices, in whole
pounds, from general knowledge of what such items sold for on eBay, Gumtree and Facebook
Marketplace around 2023–24; they are ballpark figures for realism, not quotes from any source.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "CATEGORIES",
    "SELLER_FIRST_NAMES",
    "SELLER_SHOPS",
    "TOWNS",
    "Category",
    "Model",
    "Town",
    "category_by_key",
    "distance_miles",
    "find_town",
    "towns_within",
]

Variants = tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Model:
    """One thing people sell; ``low``–``high`` is a typical second-hand price in GBP."""

    brand: str
    name: str
    low: int
    high: int
    variants: Variants = ()  # overrides the category's variants when set
    aliases: tuple[str, ...] = ()  # what people also call it ("PS5"), sometimes in titles


@dataclass(frozen=True, slots=True)
class Category:
    key: str
    label: str
    colour: tuple[int, int, int]
    models: tuple[Model, ...]
    variants: Variants
    extras: tuple[str, ...]  # what follows the dash in a title: "unlocked", "boxed"…
    details: tuple[str, ...]  # description sentences specific to the category


@dataclass(frozen=True, slots=True)
class Town:
    name: str
    lat: float
    lon: float
    weight: int  # how often listings come from here (big cities list more)


_PHONE_COLOURS = ("Black", "Blue", "Silver", "Graphite", "Midnight", "White", "Green")
_PHONES = Category(
    key="phones",
    label="Phones",
    colour=(41, 98, 255),
    models=(
        Model("Apple", "iPhone 13 Pro", 420, 620),
        Model("Apple", "iPhone 13", 330, 480),
        Model("Apple", "iPhone 12", 230, 360),
        Model("Apple", "iPhone 14 Pro Max", 650, 900),
        Model("Apple", "iPhone 14", 380, 520),
        Model("Apple", "iPhone 15", 520, 700),
        Model("Apple", "iPhone 11", 150, 250),
        Model("Apple", "iPhone SE (2022)", 160, 260),
        Model("Samsung", "Galaxy S22 Ultra", 420, 650),
        Model("Samsung", "Galaxy S21 FE", 180, 290),
        Model("Samsung", "Galaxy A53 5G", 120, 200),
        Model("Google", "Pixel 7", 260, 380),
        Model("Google", "Pixel 6a", 140, 220),
        Model("OnePlus", "9 Pro", 230, 350),
        Model("Nokia", "3310", 15, 45, (("Dark Blue", "Grey", "Yellow"),)),
    ),
    variants=(("64GB", "128GB", "256GB", "512GB"), _PHONE_COLOURS),
    extras=("unlocked", "boxed", "EE locked", "excellent condition", "with charger", "sim free"),
    details=(
        "Battery health is {pct}%.",
        "Always kept in a case with a screen protector.",
        "Factory reset and ready to go.",
        "Comes with the original box and cable.",
    ),
)

_GAMING = Category(
    key="gaming",
    label="Gaming",
    colour=(0, 150, 136),
    models=(
        Model("Sony", "PlayStation 5 Disc Edition", 330, 430, aliases=("PS5",)),
        Model("Sony", "PlayStation 5 Digital Edition", 280, 360, aliases=("PS5",)),
        Model("Sony", "PlayStation 4 Pro 1TB", 140, 210, aliases=("PS4",)),
        Model(
            "Sony",
            "DualSense Controller",
            30,
            50,
            (("White", "Midnight Black", "Cosmic Red"),),
            aliases=("PS5 controller",),
        ),
        Model("Microsoft", "Xbox Series X", 320, 420, aliases=("XSX",)),
        Model("Microsoft", "Xbox Series S", 160, 220),
        Model("Nintendo", "Switch OLED", 220, 290),
        Model("Nintendo", "Switch Lite", 110, 160, (("Turquoise", "Coral", "Grey", "Yellow"),)),
        Model("Nintendo", "Game Boy Color", 50, 110, (("Atomic Purple", "Teal", "Berry"),)),
        Model("Nintendo", "64 Console", 70, 140, aliases=("N64",)),
        Model("Nintendo", "Super Nintendo SNES Console", 80, 160, aliases=("Super NES",)),
        Model("Nintendo", "GameCube", 60, 120, (("Indigo", "Black", "Platinum"),)),
        Model("Sega", "Mega Drive II Console", 45, 100, aliases=("Genesis",)),
        Model("Valve", "Steam Deck 512GB", 330, 450),
    ),
    variants=(("with 2 controllers", "+ 3 games", "with charging dock", "console only"),),
    extras=("boxed", "fully working", "great condition", "barely used", "collection only"),
    details=(
        "Tested and working perfectly.",
        "Selling as I don't have time to play any more.",
        "All cables included.",
        "Smoke and pet free home.",
    ),
)

_CLOTHING = Category(
    key="clothing",
    label="Clothing",
    colour=(216, 67, 21),
    models=(
        Model("Barbour", "Beaufort Wax Jacket", 80, 160, (("Size M", "Size L", "Size XL"),)),
        Model("The North Face", "Nuptse 700 Puffer Jacket", 110, 190, (("Size S", "Size M"),)),
        Model("Levi's", "501 Original Jeans", 20, 45, (("W30 L32", "W32 L32", "W34 L30"),)),
        Model("Nike", "Air Max 90 Trainers", 40, 90, (("UK 7", "UK 8", "UK 9", "UK 10"),)),
        Model("Adidas", "Samba OG Trainers", 45, 80, (("UK 6", "UK 8", "UK 9"),)),
        Model("Patagonia", "Better Sweater Fleece", 45, 80, (("Size S", "Size M", "Size L"),)),
        Model("Ralph Lauren", "Polo Shirt", 15, 35, (("Size M", "Size L"),)),
        Model("Stone Island", "Crewneck Sweatshirt", 70, 140, (("Size M", "Size L"),)),
        Model("Dr. Martens", "1460 Boots", 50, 100, (("UK 5", "UK 7", "UK 9"),)),
        Model("Burberry", "Check Cashmere Scarf", 90, 180, (("Archive Beige", "Charcoal"),)),
        Model("Gucci", "GG Marmont Leather Belt", 140, 240, (("85cm", "90cm", "95cm"),)),
        Model("Moncler", "Logo T-Shirt", 60, 120, (("Size M", "Size L"),)),
        Model("Prada", "Re-Nylon Bucket Hat", 150, 260, (("Size M", "Size L"),)),
    ),
    variants=(("Size S", "Size M", "Size L"),),
    extras=("worn twice", "new with tags", "vintage", "genuine", "great condition"),
    details=(
        "Colour is {colour}.",
        "Genuine, bought from the official store.",
        "Fits true to size.",
        "Washed and ready to wear.",
    ),
)

_WATCHES = Category(
    key="watches",
    label="Watches",
    colour=(121, 85, 72),
    models=(
        Model("Seiko", "SKX007 Diver", 220, 380),
        Model("Seiko", "Presage Cocktail Time", 250, 360),
        Model("Casio", "G-Shock GW-M5610", 60, 110),
        Model("Omega", "Seamaster Diver 300M", 2600, 3600),
        Model("Rolex", "Oyster Perpetual 36", 5200, 7000),
        Model("Tissot", "PRX Powermatic 80", 420, 560),
        Model("Tudor", "Black Bay 58", 2300, 2900),
        Model("Longines", "Conquest 41mm", 550, 850),
        Model("Seiko", "5 Sports SRPD", 130, 200),
        Model("Citizen", "Eco-Drive Promaster", 120, 220),
        Model("Garmin", "Fenix 6 Pro", 220, 340, aliases=("GPS watch", "smartwatch")),
        Model("Apple", "Watch Series 8 45mm", 220, 330, aliases=("smartwatch",)),
    ),
    variants=(("steel bracelet", "leather strap", "rubber strap", "NATO strap"),),
    extras=("box and papers", "serviced", "full set", "watch only", "mint condition"),
    details=(
        "Keeps excellent time.",
        "Light desk-diving marks on the clasp.",
        "Receipt available.",
        "Bought in {year}, worn occasionally.",
    ),
)

_LAPTOPS = Category(
    key="laptops",
    label="Laptops",
    colour=(69, 90, 100),
    models=(
        Model("Apple", "MacBook Air M1 13-inch", 420, 620),
        Model("Apple", "MacBook Pro 14-inch M1 Pro", 950, 1350),
        Model("Dell", "XPS 13 9310", 450, 700),
        Model("Lenovo", "ThinkPad X1 Carbon Gen 9", 500, 800),
        Model("HP", "Spectre x360 14", 480, 720),
        Model("Asus", "ROG Zephyrus G14", 650, 950),
        Model("Microsoft", "Surface Laptop 4", 380, 600),
        Model("Acer", "Chromebook Spin 514", 150, 260),
        Model("Lenovo", "ThinkPad T480", 170, 280),
        Model("Apple", "MacBook Pro 13-inch 2019", 300, 480),
    ),
    variants=(("8GB RAM", "16GB RAM", "32GB RAM"), ("256GB SSD", "512GB SSD", "1TB SSD")),
    extras=("boxed", "low cycle count", "with charger", "excellent condition", "UK keyboard"),
    details=(
        "Battery cycle count is {cycles}.",
        "Freshly reinstalled, no passwords.",
        "No dents or scratches on the screen.",
        "Comes with the original charger.",
    ),
)

_BICYCLES = Category(
    key="bicycles",
    label="Bicycles",
    colour=(56, 142, 60),
    models=(
        Model("Brompton", "M6L Folding Bike", 650, 1100, aliases=("folder",)),
        Model("Specialized", "Allez Road Bike", 350, 600),
        Model("Trek", "Marlin 7 Mountain Bike", 380, 560),
        Model("Cannondale", "CAAD13 105", 800, 1200),
        Model("Carrera", "Vengeance Mountain Bike", 150, 250),
        Model("Boardman", "SLR 8.9 Road Bike", 450, 700),
        Model("Giant", "Defy Advanced 2", 900, 1300),
        Model("Raleigh", "Pioneer Hybrid Bike", 80, 160),
    ),
    variants=(("Small frame", "Medium frame", "Large frame", "54cm", "56cm"),),
    extras=(
        "recently serviced",
        "Shimano 105",
        "barely ridden",
        "with lights and lock",
        "ready to ride",
    ),
    details=(
        "New chain and brake pads fitted {months} months ago.",
        "Always stored indoors.",
        "Tyres have plenty of tread left.",
        "Happy to show it running before you buy.",
    ),
)

_FURNITURE = Category(
    key="furniture",
    label="Furniture",
    colour=(161, 136, 127),
    models=(
        Model("IKEA", "Kallax 4x4 Shelf Unit", 30, 70, (("White", "Black-brown", "Oak effect"),)),
        Model("IKEA", "Billy Bookcase", 15, 40, (("White", "Oak veneer"),)),
        Model("Ercol", "Windsor Dining Chairs (set of 4)", 180, 360),
        Model("G Plan", "Teak Sideboard", 220, 480),
        Model("John Lewis", "3-Seater Sofa", 200, 450, (("Grey", "Navy", "Charcoal"),)),
        Model("Habitat", "Oak Dining Table", 150, 320),
        Model("Made.com", "Velvet Armchair", 90, 180, (("Emerald", "Mustard", "Blush"),)),
        Model("Loaf", "Bagsie Sofa", 600, 1100, (("Clever Linen", "Vintage Velvet"),)),
    ),
    variants=(("Oak", "Walnut", "White", "Grey"),),
    extras=(
        "collection only",
        "must go this week",
        "mid-century",
        "good as new",
        "smoke free home",
    ),
    details=(
        "Dimensions on request.",
        "Can help load into your car.",
        "Some light wear consistent with age.",
        "Moving house so everything must go.",
    ),
)

_CAMERAS = Category(
    key="cameras",
    label="Cameras",
    colour=(96, 125, 139),
    models=(
        Model("Canon", "EOS R6", 1300, 1700),
        Model("Canon", "AE-1 Program 35mm Film Camera", 120, 220),
        Model("Sony", "A7 III", 900, 1250),
        Model("Sony", "ZV-1 Vlogging Camera", 350, 480),
        Model("Fujifilm", "X100V", 1100, 1500, (("Silver", "Black"),)),
        Model("Nikon", "D750", 450, 650),
        Model("Leica", "M6 Rangefinder", 2200, 3200, aliases=("35mm film",)),
        Model("Olympus", "OM-1 35mm Film Camera", 120, 200),
        Model("GoPro", "Hero 10 Black", 180, 260),
    ),
    variants=(("body only", "with 24-105mm lens", "with kit lens", "with 50mm f/1.8"),),
    extras=("low shutter count", "boxed", "tested with film", "mint", "with spare battery"),
    details=(
        "Shutter count around {shutter}.",
        "Sensor clean, no fungus or haze in the lens.",
        "Comes with strap, charger and two batteries.",
        "Light marks on the body, glass is perfect.",
    ),
)

_AUDIO = Category(
    key="audio",
    label="Audio",
    colour=(123, 31, 162),
    models=(
        Model("Sony", "WH-1000XM4 Headphones", 120, 190, (("Black", "Silver"),)),
        Model("Bose", "QuietComfort 45 Headphones", 130, 200),
        Model("Apple", "AirPods Pro (2nd generation)", 110, 170),
        Model("Technics", "SL-1200MK2 Turntable", 500, 800, aliases=("1210", "decks")),
        Model("Marshall", "Stanmore II Speaker", 150, 230),
        Model("Sonos", "One (Gen 2) Speaker", 90, 140, (("Black", "White"),)),
        Model("Rega", "Planar 3 Turntable", 350, 520),
        Model("Fender", "Player Stratocaster", 420, 620, aliases=("Strat", "electric guitar")),
    ),
    variants=(("Black", "White", "Silver"),),
    extras=("boxed", "sounds amazing", "excellent condition", "with all accessories"),
    details=(
        "Works perfectly, just upgraded.",
        "Comes with the original packaging.",
        "Can demo before you buy.",
        "Bought in {year} from John Lewis.",
    ),
)

_HOME = Category(
    key="home",
    label="Home & toys",
    colour=(255, 143, 0),
    models=(
        Model("Dyson", "V11 Cordless Vacuum", 150, 260, aliases=("hoover",)),
        Model("KitchenAid", "Artisan Stand Mixer", 180, 300, (("Empire Red", "Almond Cream"),)),
        Model("Nespresso", "Vertuo Next Coffee Machine", 40, 75),
        Model("Le Creuset", "Cast Iron Casserole 24cm", 70, 130, (("Volcanic", "Marseille"),)),
        Model("Ninja", "Dual Zone Air Fryer AF300UK", 70, 120),
        Model("Smeg", "KLF03 Kettle", 50, 90, (("Cream", "Pastel Blue", "Black"),)),
        Model("LEGO", "Star Wars Millennium Falcon 75257", 60, 100, (("complete", "boxed"),)),
    ),
    variants=(("Cream", "Black", "Silver", "Red"),),
    extras=("boxed", "hardly used", "great condition", "collection only", "full working order"),
    details=(
        "Works perfectly, just decluttering.",
        "Comes with the original box and manual.",
        "Cleaned and ready to use.",
        "Bought in {year}, used a handful of times.",
    ),
)

CATEGORIES: tuple[Category, ...] = (
    _PHONES,
    _GAMING,
    _CLOTHING,
    _WATCHES,
    _LAPTOPS,
    _BICYCLES,
    _FURNITURE,
    _CAMERAS,
    _AUDIO,
    _HOME,
)

TOWNS: tuple[Town, ...] = (
    Town("London", 51.5074, -0.1278, 12),
    Town("Birmingham", 52.4862, -1.8904, 5),
    Town("Manchester", 53.4808, -2.2426, 5),
    Town("Leeds", 53.8008, -1.5491, 4),
    Town("Liverpool", 53.4084, -2.9916, 4),
    Town("Sheffield", 53.3811, -1.4701, 3),
    Town("Bristol", 51.4545, -2.5879, 4),
    Town("Newcastle upon Tyne", 54.9783, -1.6178, 3),
    Town("Nottingham", 52.9548, -1.1581, 3),
    Town("Leicester", 52.6369, -1.1398, 3),
    Town("Coventry", 52.4068, -1.5197, 2),
    Town("Southampton", 50.9097, -1.4044, 2),
    Town("Portsmouth", 50.8198, -1.0880, 2),
    Town("Brighton", 50.8225, -0.1372, 3),
    Town("Oxford", 51.7520, -1.2577, 2),
    Town("Cambridge", 52.2053, 0.1218, 2),
    Town("Reading", 51.4543, -0.9781, 2),
    Town("Guildford", 51.2362, -0.5704, 1),
    Town("Croydon", 51.3762, -0.0982, 2),
    Town("Watford", 51.6565, -0.3903, 1),
    Town("Milton Keynes", 52.0406, -0.7594, 2),
    Town("Norwich", 52.6309, 1.2974, 2),
    Town("York", 53.9600, -1.0873, 2),
    Town("Hull", 53.7676, -0.3274, 2),
    Town("Bath", 51.3811, -2.3590, 1),
    Town("Exeter", 50.7184, -3.5339, 1),
    Town("Plymouth", 50.3755, -4.1427, 2),
    Town("Cardiff", 51.4816, -3.1791, 3),
    Town("Swansea", 51.6214, -3.9436, 1),
    Town("Edinburgh", 55.9533, -3.1883, 3),
    Town("Glasgow", 55.8642, -4.2518, 4),
    Town("Aberdeen", 57.1497, -2.0943, 1),
    Town("Belfast", 54.5973, -5.9301, 2),
)

SELLER_FIRST_NAMES: tuple[str, ...] = (
    "Sarah", "James", "Priya", "Tom", "Emma", "Mohammed", "Olivia", "Jack", "Aisha", "Harry",
    "Sophie", "Daniel", "Chloe", "Liam", "Grace", "Ravi", "Megan", "Connor", "Zara", "Ben",
    "Hannah", "Oliver", "Fatima", "George", "Lucy", "Kwame", "Amelia", "Callum", "Niamh", "Sam",
)  # fmt: skip

SELLER_SHOPS: tuple[str, ...] = (
    "Tech Exchange", "Retro Finds", "Second Cycle", "Vintage Vault", "Gadget Corner",
    "The Reuse Hub", "Camera Cupboard", "Pre-Loved Threads", "Upcycle Co", "Game Trader",
)  # fmt: skip

_EARTH_RADIUS_MILES = 3958.8


def category_by_key(key: str) -> Category | None:
    return next((c for c in CATEGORIES if c.key == key), None)


def find_town(name: str) -> Town | None:
    """The town called ``name`` (case-insensitive); a prefix will do ("newcastle")."""
    wanted = " ".join(name.split()).casefold()
    if not wanted:
        return None
    exact = next((t for t in TOWNS if t.name.casefold() == wanted), None)
    return exact or next((t for t in TOWNS if t.name.casefold().startswith(wanted)), None)


def distance_miles(a: Town, b: Town) -> float:
    """Great-circle distance (haversine): plenty for a radius filter."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat, dlon = lat2 - lat1, math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * _EARTH_RADIUS_MILES * math.asin(math.sqrt(h))


def towns_within(centre: Town, radius_miles: float) -> frozenset[str]:
    """Names of the towns no further than ``radius_miles`` from ``centre`` (itself included)."""
    return frozenset(t.name for t in TOWNS if distance_miles(centre, t) <= radius_miles)
