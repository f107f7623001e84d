namespace Karma.Core.Data.Synthetic;

/// <summary>
/// The word lists the synthetic catalog is built from. Every attribute value has two or three synonyms;
/// the first is the most common spelling in titles, the later ones appear more in queries and descriptions,
/// so that matching a query to a title needs more than exact word overlap.
/// </summary>
internal static class Vocabulary
{
    /// <summary>Leaf categories: <c>top/sub/leaf = synonym | synonym | ...</c> (the category nouns).</summary>
    public static readonly string[] Leaves =
    [
        // apparel
        "apparel/tops/tshirt = t-shirt | tee | crewneck",
        "apparel/tops/shirt = shirt | button-up | oxford shirt",
        "apparel/tops/hoodie = hoodie | hooded sweatshirt | pullover",
        "apparel/tops/sweater = sweater | jumper | knitwear",
        "apparel/bottoms/jeans = jeans | jean trousers | five-pocket jeans",
        "apparel/bottoms/trousers = trousers | pants | slacks",
        "apparel/bottoms/shorts = shorts | bermudas | short pants",
        "apparel/bottoms/skirt = skirt | a-line skirt | pleated skirt",
        "apparel/outerwear/jacket = jacket | bomber | windbreaker",
        "apparel/outerwear/coat = coat | overcoat | trench",
        "apparel/outerwear/vest = vest | gilet | waistcoat",
        "apparel/outerwear/parka = parka | puffer | down jacket",
        "apparel/basics/pajamas = pajamas | pyjamas | sleepwear",
        "apparel/basics/socks = socks | ankle socks | crew socks",
        "apparel/basics/boxers = boxers | briefs | trunks",
        "apparel/basics/dress = dress | sundress | frock",
        // footwear
        "footwear/athletic/sneaker = sneaker | trainer | running shoe",
        "footwear/athletic/courtshoe = basketball shoe | high-top | court shoe",
        "footwear/athletic/hikingboot = hiking boot | trail shoe | trekking boot",
        "footwear/casual/loafer = loafer | slip-on | moccasin",
        "footwear/casual/sandal = sandal | flip-flop | slide",
        "footwear/casual/slipper = slipper | house shoe | mule",
        "footwear/formal/dressshoe = dress shoe | brogue | derby",
        "footwear/formal/heel = high heel | pump | stiletto",
        "footwear/formal/ankleboot = ankle boot | chelsea boot | bootie",
        "footwear/outdoor/rainboot = rain boot | wellington | wellies",
        "footwear/outdoor/snowboot = snow boot | winter boot | insulated boot",
        "footwear/outdoor/clog = clog | garden shoe",
        // accessories
        "accessories/bags/backpack = backpack | rucksack | daypack",
        "accessories/bags/handbag = handbag | purse | tote",
        "accessories/bags/wallet = wallet | billfold | card holder",
        "accessories/bags/suitcase = suitcase | luggage | trolley case",
        "accessories/jewelry/necklace = necklace | pendant | chain",
        "accessories/jewelry/ring = ring | band ring | signet",
        "accessories/jewelry/earrings = earrings | studs | hoops",
        "accessories/jewelry/bracelet = bracelet | bangle | cuff",
        "accessories/headwear/cap = baseball cap | snapback | peaked cap",
        "accessories/headwear/beanie = beanie | knit hat | toque",
        "accessories/headwear/sunhat = sun hat | bucket hat | fedora",
        "accessories/small/belt = belt | waist belt | strap belt",
        "accessories/small/scarf = scarf | shawl | muffler",
        "accessories/small/sunglasses = sunglasses | shades | sunnies",
        "accessories/small/watch = watch | wristwatch | timepiece",
        // beauty
        "beauty/skincare/moisturizer = moisturizer | face cream | hydrating lotion",
        "beauty/skincare/cleanser = cleanser | face wash | foaming wash",
        "beauty/skincare/serum = serum | essence | ampoule",
        "beauty/skincare/sunscreen = sunscreen | sunblock | spf lotion",
        "beauty/makeup/lipstick = lipstick | lip color | lip tint",
        "beauty/makeup/foundation = foundation | bb cream | base makeup",
        "beauty/makeup/mascara = mascara | lash mascara | lash definer",
        "beauty/makeup/eyeshadow = eyeshadow | eye palette | shadow palette",
        "beauty/hair/shampoo = shampoo | hair wash | cleansing shampoo",
        "beauty/hair/conditioner = conditioner | detangler | hair conditioner",
        "beauty/hair/hairdryer = hair dryer | blow dryer | blower",
        "beauty/hair/straightener = straightener | flat iron | hair iron",
        "beauty/body/perfume = perfume | eau de parfum | scent",
        "beauty/body/bodylotion = body lotion | body butter | body cream",
        "beauty/body/deodorant = deodorant | antiperspirant | roll-on",
        // electronics
        "electronics/audio/headphones = headphones | headset | over-ear cans",
        "electronics/audio/earbuds = earbuds | earphones | in-ear buds",
        "electronics/audio/speaker = bluetooth speaker | portable speaker | boombox",
        "electronics/computing/laptop = laptop | notebook computer | ultrabook",
        "electronics/computing/keyboard = keyboard | mechanical keyboard | keypad",
        "electronics/computing/mouse = mouse | wireless mouse | trackball",
        "electronics/computing/monitor = monitor | display | screen",
        "electronics/phone/phonecase = phone case | phone cover | protective case",
        "electronics/phone/charger = charger | power adapter | wall plug",
        "electronics/phone/powerbank = power bank | portable battery | battery pack",
        "electronics/phone/cable = usb cable | charging cord | data cable",
        "electronics/gadgets/camera = camera | digital camera | mirrorless",
        "electronics/gadgets/smartwatch = smartwatch | fitness tracker | activity band",
        "electronics/gadgets/tripod = tripod | camera stand | selfie stick",
        // home
        "home/bedding/duvet = duvet | comforter | quilt",
        "home/bedding/pillow = pillow | cushion | bolster",
        "home/bedding/sheets = bed sheets | sheet set | bedsheet",
        "home/bedding/blanket = blanket | throw | coverlet",
        "home/furniture/sofa = sofa | couch | settee",
        "home/furniture/chair = armchair | accent chair | lounge chair",
        "home/furniture/desk = desk | writing table | workstation",
        "home/furniture/bookshelf = bookshelf | bookcase | shelving unit",
        "home/decor/lamp = lamp | table lamp | desk light",
        "home/decor/vase = vase | flower pot | planter",
        "home/decor/rug = rug | carpet | area rug",
        "home/decor/curtains = curtains | drapes | window panels",
        "home/storage/basket = storage basket | hamper | bin",
        "home/storage/hanger = hangers | clothes hanger | coat hanger",
        "home/storage/organizer = organizer | storage box | drawer divider",
        // kitchen
        "kitchen/cookware/fryingpan = frying pan | skillet | frypan",
        "kitchen/cookware/pot = stock pot | saucepan | cooking pot",
        "kitchen/cookware/wok = wok | stir-fry pan",
        "kitchen/cookware/dutchoven = dutch oven | casserole | cocotte",
        "kitchen/appliances/kettle = electric kettle | kettle | water boiler",
        "kitchen/appliances/blender = blender | smoothie maker | food mixer",
        "kitchen/appliances/coffeemaker = coffee maker | espresso machine | coffee brewer",
        "kitchen/appliances/airfryer = air fryer | oil-free fryer | hot air fryer",
        "kitchen/tableware/mug = mug | coffee cup | teacup",
        "kitchen/tableware/plate = plate | dinner plate | dish",
        "kitchen/tableware/bowl = bowl | serving bowl | soup bowl",
        "kitchen/tableware/cutlery = cutlery set | flatware | silverware",
        "kitchen/tools/knife = chef knife | kitchen knife | cleaver",
        "kitchen/tools/cuttingboard = cutting board | chopping board | butcher block",
        "kitchen/tools/spatula = spatula | turner | flipper",
        "kitchen/tools/waterbottle = water bottle | flask | tumbler",
        // sports
        "sports/fitness/yogamat = yoga mat | exercise mat | workout mat",
        "sports/fitness/dumbbell = dumbbell | hand weight | free weight",
        "sports/fitness/resistanceband = resistance band | exercise band | stretch band",
        "sports/fitness/jumprope = jump rope | skipping rope | speed rope",
        "sports/outdoor/tent = tent | camping tent | dome shelter",
        "sports/outdoor/sleepingbag = sleeping bag | sleep sack | camp bag",
        "sports/outdoor/trekkingpole = trekking pole | hiking stick | walking pole",
        "sports/cycling/bicycle = bicycle | bike | road bike",
        "sports/cycling/helmet = helmet | bike helmet | cycling helmet",
        "sports/cycling/bikelight = bike light | cycling lamp | headlight",
        "sports/ball/soccerball = soccer ball | football | futbol",
        "sports/ball/basketball = basketball | hoops ball | streetball",
        "sports/ball/racket = tennis racket | racquet | tennis bat",
    ];

    /// <summary>Top categories: name, materials that fit, whether titles name an audience, brands, log-price centre.</summary>
    public static readonly (string Name, string[] Materials, bool HasAudience, string[] Brands, double LogPrice)[] Tops =
    [
        ("apparel", ["cotton", "polyester", "wool", "linen", "silk", "denim", "fleece"], true,
            ["Nordwind", "Urbanix", "Maple & Co", "Kinto", "Veralta", "Blue Harbor", "Solenne", "Tamar"], 3.4),
        ("footwear", ["leather", "suede", "canvas", "mesh", "rubber", "synthetic"], true,
            ["Stridex", "Pathmaker", "Okapi", "Ferro", "Lumen Step", "Calder", "Ranza"], 4.0),
        ("accessories", ["leather", "canvas", "nylon", "metal", "silk", "straw", "gold"], true,
            ["Aurelia", "Bexley", "Quillon", "Marisol", "Tarn", "Lucent", "Oakhurst"], 3.6),
        ("beauty", ["aloe", "vitaminc", "hyaluronic", "argan", "shea", "herbal"], true,
            ["Glowra", "Petalis", "Dermacore", "Lunelle", "Verdant", "Soraya", "Mirabel"], 3.0),
        ("electronics", ["aluminum", "plastic", "glass", "steel", "carbon"], false,
            ["Voltix", "Sonique", "Kairo", "Nexel", "Arcline", "Trion", "Helix"], 4.3),
        ("home", ["cotton", "linen", "wood", "ceramic", "glass", "velvet", "rattan"], false,
            ["Hearthly", "Nestwell", "Lindqvist", "Casa Mora", "Fernhill", "Oda", "Brisa"], 3.9),
        ("kitchen", ["steel", "castiron", "ceramic", "glass", "bamboo", "silicone"], false,
            ["Cookwise", "Ferrum", "Bellacasa", "Ostra", "Panterra", "Kujo", "Saltbox"], 3.5),
        ("sports", ["nylon", "rubber", "foam", "carbon", "aluminum", "neoprene", "polyester"], true,
            ["Apexon", "Trailhawk", "Kinetik", "Summit Peak", "Vayu", "Strivon", "Pelota"], 3.8),
    ];

    /// <summary>Colors: key = synonyms.</summary>
    public static readonly string[] Colors =
    [
        "red = red | crimson | scarlet",
        "blue = blue | navy | azure",
        "green = green | olive | emerald",
        "black = black | jet black | ebony",
        "white = white | ivory | snow white",
        "grey = grey | gray | slate",
        "pink = pink | blush | rose",
        "yellow = yellow | mustard | lemon",
        "brown = brown | tan | chocolate",
        "purple = purple | violet | lavender",
        "orange = orange | tangerine | coral",
        "beige = beige | khaki | sand",
    ];

    /// <summary>Materials (and, for beauty, key ingredients): key = synonyms.</summary>
    public static readonly string[] Materials =
    [
        "cotton = cotton | cotton-blend | organic cotton",
        "polyester = polyester | poly | microfiber",
        "wool = wool | merino | woolen",
        "linen = linen | flax",
        "silk = silk | satin | mulberry silk",
        "denim = denim | chambray",
        "fleece = fleece | sherpa | polar fleece",
        "leather = leather | genuine leather | full-grain",
        "suede = suede | nubuck",
        "canvas = canvas | duck canvas",
        "mesh = mesh | breathable mesh | knit upper",
        "rubber = rubber | latex",
        "synthetic = synthetic | vegan leather | faux leather",
        "nylon = nylon | ripstop",
        "metal = metal | alloy",
        "straw = straw | raffia | woven straw",
        "gold = gold | gold-plated | 18k",
        "aloe = aloe | aloe vera",
        "vitaminc = vitamin c | ascorbic",
        "hyaluronic = hyaluronic acid | hyaluronic",
        "argan = argan oil | moroccan oil",
        "shea = shea butter | shea",
        "herbal = herbal | botanical | plant-based",
        "aluminum = aluminum | aluminium | unibody",
        "plastic = plastic | abs | polycarbonate",
        "glass = glass | tempered glass | borosilicate",
        "steel = stainless steel | inox | steel",
        "carbon = carbon fiber | carbon",
        "wood = wood | wooden | oak",
        "ceramic = ceramic | porcelain | stoneware",
        "velvet = velvet | velour",
        "rattan = rattan | wicker",
        "castiron = cast iron | cast-iron",
        "bamboo = bamboo | bamboo-fiber",
        "silicone = silicone | food-grade silicone",
        "foam = foam | memory foam | eva",
        "neoprene = neoprene | scuba fabric",
    ];

    /// <summary>Styles: key = synonyms.</summary>
    public static readonly string[] Styles =
    [
        "modern = modern | contemporary | sleek",
        "vintage = vintage | retro | old-school",
        "classic = classic | timeless | traditional",
        "sporty = sporty | athletic | active",
        "minimalist = minimalist | simple | clean-line",
        "luxury = luxury | premium | deluxe",
        "casual = casual | everyday | relaxed",
        "cute = cute | kawaii | adorable",
        "rugged = rugged | heavy-duty | tough",
        "elegant = elegant | chic | refined",
    ];

    /// <summary>Audiences (only for top categories that name one): key = synonyms.</summary>
    public static readonly string[] Audiences =
    [
        "men = men's | mens | male",
        "women = women's | womens | ladies",
        "kids = kids | children's | youth",
        "unisex = unisex | all-gender",
    ];

    /// <summary>Audience frequencies, in the order of <see cref="Audiences"/>.</summary>
    public static readonly double[] AudienceWeights = [0.35, 0.4, 0.1, 0.15];

    /// <summary>Words sellers pad titles with.</summary>
    public static readonly string[] Fillers =
    [
        "new", "2026", "hot sale", "free shipping", "best seller", "gift", "official", "limited edition",
        "high quality", "original", "trending", "clearance",
    ];
}
