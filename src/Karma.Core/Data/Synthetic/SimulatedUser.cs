namespace Karma.Core.Data.Synthetic;

/// <summary>
/// A realistic-preset user: a taste that persists across needs (one or two preferred colors, a style, a
/// price level, perhaps a favourite brand per top category) and one to four weighted interests (leaf
/// categories) that drift over time.
/// </summary>
internal sealed class SimulatedUser
{
    /// <summary>Weight of each interest slot: the first interest is the strongest.</summary>
    private static readonly double[] SlotWeights = [1.0, 0.6, 0.4, 0.3];

    /// <summary>Price levels budget, mid, luxury: a log-price offset from the leaf's typical price, and their shares.</summary>
    private static readonly double[] PriceOffsets = [-0.5, 0.0, 0.5];

    private static readonly double[] PriceLevelShares = [0.35, 0.45, 0.2];

    private const int MaxAttempts = 20;

    private readonly List<int> _interests;

    private SimulatedUser(List<int> interests, int primaryColor, int secondaryColor, int style, double priceOffset, sbyte[] brand)
    {
        _interests = interests;
        PrimaryColor = primaryColor;
        SecondaryColor = secondaryColor;
        Style = style;
        PriceOffset = priceOffset;
        FavouriteBrand = brand;
    }

    /// <summary>Current interests, as indices of used leaves.</summary>
    public IReadOnlyList<int> Interests => _interests;

    /// <summary>The preferred color.</summary>
    public int PrimaryColor { get; }

    /// <summary>A second, weaker preferred color, or -1.</summary>
    public int SecondaryColor { get; }

    /// <summary>The preferred style.</summary>
    public int Style { get; }

    /// <summary>Preferred log-price relative to a leaf's typical price (budget &lt; 0 &lt; luxury).</summary>
    public double PriceOffset { get; }

    /// <summary>Per top category: the favourite brand's index, or -1.</summary>
    public IReadOnlyList<sbyte> FavouriteBrand { get; }

    /// <summary>Draws a new user; <paramref name="leaves"/> are the leaves interests may go to, by weight.</summary>
    public static SimulatedUser Create(Random random, Realism realism, WeightedTable leaves)
    {
        var tax = Taxonomy.Instance;
        int wanted = 1 + random.Next(realism.MaxInterests);
        var interests = new List<int>(Realism.InterestSlots);
        for (int attempt = 0; interests.Count < wanted && attempt < MaxAttempts; attempt++)
        {
            int leaf = leaves.Sample(random);
            if (!interests.Contains(leaf))
            {
                interests.Add(leaf);
            }
        }

        int primary = random.Next(tax.Colors.Length);
        int secondary = -1;
        if (random.Chance(0.5))
        {
            // Any color but the primary one.
            secondary = random.Next(tax.Colors.Length - 1);
            secondary += secondary >= primary ? 1 : 0;
        }

        int style = random.Next(tax.Styles.Length);
        double priceOffset = PriceOffsets[random.PickWeighted(PriceLevelShares)];
        var brand = new sbyte[tax.Tops.Length];
        for (int t = 0; t < brand.Length; t++)
        {
            brand[t] = random.Chance(realism.BrandLoyalty) ? (sbyte)Catalog.PickZipf(random, tax.Tops[t].Brands.Length) : (sbyte)-1;
        }

        return new SimulatedUser(interests, primary, secondary, style, priceOffset, brand);
    }

    /// <summary>True when <paramref name="leaf"/> is one of the current interests.</summary>
    public bool IsInterest(int leaf) => _interests.Contains(leaf);

    /// <summary>One current interest, by slot weight.</summary>
    public int PickInterest(Random random) => _interests[random.PickWeighted(SlotWeights.AsSpan(0, _interests.Count))];

    /// <summary>A taste color for a query modifier: the primary one twice as often as the secondary.</summary>
    public int PickTasteColor(Random random) =>
        SecondaryColor >= 0 && random.Chance(1.0 / 3.0) ? SecondaryColor : PrimaryColor;

    /// <summary>Replaces one interest (uniformly chosen slot) by a leaf that is not an interest yet.</summary>
    public void Drift(Random random, WeightedTable leaves)
    {
        int slot = random.Next(_interests.Count);
        int leaf = DrawOutside(random, leaves);
        if (leaf >= 0)
        {
            _interests[slot] = leaf;
        }
    }

    /// <summary>A leaf outside the current interests, by leaf weight, or -1 when none was found.</summary>
    public int DrawOutside(Random random, WeightedTable leaves)
    {
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            int leaf = leaves.Sample(random);
            if (!_interests.Contains(leaf))
            {
                return leaf;
            }
        }

        return -1;
    }
}
