namespace Karma.Core.Data.Synthetic;

/// <summary>
/// The latent side of the synthetic catalog: each item's leaf category, color, material, style, audience,
/// brand, popularity and whether it is cold, plus the sampling tables the session simulator draws from.
/// Texts and image vectors are derived from these later, one item at a time.
/// </summary>
internal sealed class Catalog
{
    private Catalog(int count)
    {
        Count = count;
        Leaf = new int[count];
        Color = new byte[count];
        Material = new byte[count];
        Style = new byte[count];
        Audience = new sbyte[count];
        Brand = new sbyte[count];
        Popularity = new double[count];
        PopularityScore = new float[count];
        Cold = new bool[count];
        Ids = new string[count];
        LogPrice = new float[count];
        TitleNoun = new byte[count];
        TitleShows = new TitleWords[count];
    }

    public int Count { get; }

    /// <summary>Leaf categories in use (a subset of the taxonomy for small catalogs).</summary>
    public LeafCategory[] Leaves { get; private set; } = [];

    /// <summary>Index into <see cref="Taxonomy.Leaves"/> of each used leaf (for image vectors).</summary>
    public int[] LeafTaxonomyIndex { get; private set; } = [];

    /// <summary>How often each used leaf is chosen, for items and for user interests.</summary>
    public double[] LeafWeight { get; private set; } = [];

    /// <summary>Log-price offset of each used leaf relative to its top category.</summary>
    public double[] LeafPriceOffset { get; private set; } = [];

    public int[] Leaf { get; }

    public byte[] Color { get; }

    public byte[] Material { get; }

    public byte[] Style { get; }

    /// <summary>Audience index, or -1 when the top category names none.</summary>
    public sbyte[] Audience { get; }

    /// <summary>Brand index into the top category's brands, or -1 for unbranded.</summary>
    public sbyte[] Brand { get; }

    /// <summary>Zipf weight.</summary>
    public double[] Popularity { get; }

    /// <summary>Popularity on a 0..1 scale (1 = most popular): 1 - ln(rank + 1) / ln(n + 1).</summary>
    public float[] PopularityScore { get; }

    public bool[] Cold { get; }

    public string[] Ids { get; }

    /// <summary>Natural log of each item's price; filled when the item's text is written (items phase).</summary>
    public float[] LogPrice { get; }

    /// <summary>Which synonym of its leaf's noun each item's title uses; filled in the items phase.</summary>
    public byte[] TitleNoun { get; }

    /// <summary>Which attribute words each item's title names; filled in the items phase.</summary>
    public TitleWords[] TitleShows { get; }

    /// <summary>
    /// Unix time at which each item enters the catalog (realistic presets only, else null): the period's start
    /// for the initial catalog, spread over the period for late warm items, inside the evaluation window for cold ones.
    /// </summary>
    public long[]? Arrival { get; private set; }

    /// <summary>Per used leaf: all its items by popularity.</summary>
    public WeightedTable[] LeafAll { get; private set; } = [];

    /// <summary>Per used leaf: its non-cold items by popularity.</summary>
    public WeightedTable[] LeafWarm { get; private set; } = [];

    /// <summary>All items by popularity.</summary>
    public WeightedTable GlobalAll { get; private set; } = null!;

    /// <summary>Non-cold items by popularity.</summary>
    public WeightedTable GlobalWarm { get; private set; } = null!;

    public TopCategory TopOf(int item) => Taxonomy.Instance.Tops[Leaves[Leaf[item]].Top];

    /// <summary>Builds the latent catalog.</summary>
    /// <param name="preset">Sizes and, for realistic presets, the mechanisms.</param>
    /// <param name="random">The catalog stream; the original presets draw from it alone, in the original order.</param>
    /// <param name="realismRandom">A separate stream for what only realistic presets draw (popularity by leaf,
    /// arrivals), so that the original presets' draws stay exactly as they were; required when
    /// <see cref="SyntheticPreset.Realism"/> is set.</param>
    public static Catalog Build(SyntheticPreset preset, Random random, Random? realismRandom = null)
    {
        var tax = Taxonomy.Instance;
        int n = preset.Items;
        var c = new Catalog(n);

        // Leaves in use: all, or a seeded subset kept in taxonomy order.
        int[] leafIdx = Enumerable.Range(0, tax.Leaves.Length).ToArray();
        if (preset.Leaves > 0 && preset.Leaves < leafIdx.Length)
        {
            random.Shuffle(leafIdx);
            leafIdx = leafIdx[..preset.Leaves];
            Array.Sort(leafIdx);
        }

        c.LeafTaxonomyIndex = leafIdx;
        c.Leaves = leafIdx.Select(i => tax.Leaves[i]).ToArray();
        c.LeafWeight = leafIdx.Select(_ => Math.Exp(0.5 * random.NextGaussian())).ToArray();
        if (preset.Realism is { } domainMix)
        {
            for (int l = 0; l < leafIdx.Length; l++)
            {
                c.LeafWeight[l] *= domainMix.TopWeight(tax.Tops[c.Leaves[l].Top].Name);
            }
        }

        c.LeafPriceOffset = leafIdx.Select(_ => 0.4 * random.NextGaussian()).ToArray();
        double[] colorWeight = tax.Colors.Select(_ => Math.Exp(0.4 * random.NextGaussian())).ToArray();
        var leafTable = new WeightedTable(Enumerable.Range(0, leafIdx.Length).ToArray(), l => c.LeafWeight[l]);
        var colorTable = new WeightedTable(Enumerable.Range(0, colorWeight.Length).ToArray(), k => colorWeight[k]);
        int width = Math.Max(1, (n - 1).ToString(System.Globalization.CultureInfo.InvariantCulture).Length);
        string format = "D" + width.ToString(System.Globalization.CultureInfo.InvariantCulture);

        for (int i = 0; i < n; i++)
        {
            // The first items go round-robin so that no leaf is nearly empty; the rest follow the leaf weights.
            int leaf = i < 2 * leafIdx.Length ? i % leafIdx.Length : leafTable.Sample(random);
            var top = tax.Tops[c.Leaves[leaf].Top];
            c.Ids[i] = "i" + i.ToString(format, System.Globalization.CultureInfo.InvariantCulture);
            c.Leaf[i] = leaf;
            c.Color[i] = (byte)colorTable.Sample(random);
            c.Material[i] = (byte)top.Materials[random.Next(top.Materials.Length)];
            c.Style[i] = (byte)random.Next(tax.Styles.Length);
            c.Audience[i] = top.HasAudience ? (sbyte)random.PickWeighted(Vocabulary.AudienceWeights) : (sbyte)-1;
            // Brands follow a Zipf law too; about one item in seven is unbranded.
            c.Brand[i] = random.Chance(0.85)
                ? (sbyte)PickZipf(random, top.Brands.Length)
                : (sbyte)-1;
        }

        // Zipf popularity over the items in a random order.
        int[] order = Enumerable.Range(0, n).ToArray();
        random.Shuffle(order);
        double logN = Math.Log(n + 1.0);
        for (int rank = 0; rank < n; rank++)
        {
            int item = order[rank];
            c.Popularity[item] = Math.Pow(rank + 1.0, -preset.ZipfExponent);
            c.PopularityScore[item] = (float)(1.0 - (Math.Log(rank + 1.0) / logN));
        }

        // Cold items: an exact share, chosen independently of popularity.
        random.Shuffle(order);
        int cold = (int)Math.Round(preset.ColdFraction * n);
        for (int k = 0; k < cold; k++)
        {
            c.Cold[order[k]] = true;
        }

        if (preset.Realism is { } realism)
        {
            ArgumentNullException.ThrowIfNull(realismRandom);
            c.ApplyLeafPopularity(realism.LeafPopularitySpread, realismRandom);
            c.Arrival = ItemArrivals.Draw(c, realism, SimulationPeriod.For(preset), realismRandom);
        }

        var byLeaf = new List<int>[leafIdx.Length];
        for (int l = 0; l < byLeaf.Length; l++)
        {
            byLeaf[l] = [];
        }

        for (int i = 0; i < n; i++)
        {
            byLeaf[c.Leaf[i]].Add(i);
        }

        c.LeafAll = byLeaf.Select(items => new WeightedTable(items, i => c.Popularity[i])).ToArray();
        c.LeafWarm = byLeaf.Select(items => new WeightedTable(items.Where(i => !c.Cold[i]).ToArray(), i => c.Popularity[i])).ToArray();
        int[] all = Enumerable.Range(0, n).ToArray();
        c.GlobalAll = new WeightedTable(all, i => c.Popularity[i]);
        c.GlobalWarm = new WeightedTable(all.Where(i => !c.Cold[i]).ToArray(), i => c.Popularity[i]);
        return c;
    }

    /// <summary>
    /// Scales each item's Zipf weight by a per-leaf log-normal factor (some categories sell more than others) and
    /// recomputes the 0..1 popularity scores from the new ranks.
    /// </summary>
    private void ApplyLeafPopularity(double spread, Random random)
    {
        if (spread <= 0)
        {
            return;
        }

        double[] factor = Leaves.Select(_ => Math.Exp(spread * random.NextGaussian())).ToArray();
        for (int i = 0; i < Count; i++)
        {
            Popularity[i] *= factor[Leaf[i]];
        }

        int[] order = Enumerable.Range(0, Count).ToArray();
        // Most popular first; ties (equal weights) by index so the order is deterministic.
        Array.Sort(order, (a, b) => Popularity[b] != Popularity[a] ? Popularity[b].CompareTo(Popularity[a]) : a.CompareTo(b));
        double logN = Math.Log(Count + 1.0);
        for (int rank = 0; rank < Count; rank++)
        {
            PopularityScore[order[rank]] = (float)(1.0 - (Math.Log(rank + 1.0) / logN));
        }
    }

    /// <summary>An index in [0, count) with probability proportional to 1 / (index + 1).</summary>
    public static int PickZipf(Random random, int count)
    {
        Span<double> w = stackalloc double[count];
        for (int k = 0; k < count; k++)
        {
            w[k] = 1.0 / (k + 1);
        }

        return random.PickWeighted(w);
    }
}
