using System.Collections.Frozen;

namespace Karma.Core.Data.Synthetic;

/// <summary>Size and shape of a synthetic data set.</summary>
/// <param name="Name">Preset name.</param>
/// <param name="Items">Catalog size.</param>
/// <param name="Users">Number of users.</param>
/// <param name="MeanRequestsPerUser">Mean search requests per user (at least 3: every user gets at least three engaged requests).</param>
/// <param name="ImageDim">Length of the image-feature vectors.</param>
/// <param name="Leaves">Leaf categories used (0 = all of the taxonomy); small catalogs use fewer so leaves are not nearly empty.</param>
/// <param name="ColdFraction">Share of items that are never engaged before each user's final two requests.</param>
/// <param name="ZipfExponent">Exponent of the item popularity law.</param>
/// <param name="BrowseFraction">Share of requests with an empty query (realistic presets: of the requests that are not rephrasings).</param>
/// <param name="Days">Length of the simulated period.</param>
/// <param name="Realism">The realistic mechanisms; null runs the original simulator (tiny, small, medium, large).</param>
public sealed record SyntheticPreset(
    string Name,
    int Items,
    int Users,
    int MeanRequestsPerUser,
    int ImageDim,
    int Leaves = 0,
    double ColdFraction = 0.15,
    double ZipfExponent = 1.0,
    double BrowseFraction = 0.15,
    int Days = 60,
    Realism? Realism = null)
{
    /// <summary>
    /// The mechanisms shared by the realistic presets (docs/synthetic-data.md): persistent taste, drifting
    /// interests, out-of-interest needs, reformulations, a production ranker with position bias, items that
    /// arrive over time, an evaluation window, and images that are only partly informative.
    /// </summary>
    private static readonly Realism RealisticMechanisms = new()
    {
        TasteWeight = 1.0,
        BrandLoyalty = 0.5,
        MaxInterests = 4,
        InterestDrift = 0.05,
        OutOfInterestShare = 0.3,
        QueryModifierShare = 0.5,
        Reformulation = 0.35,
        PositionBias = 0.8,
        RankerNoise = 0.6,
        LateArrivalShare = 0.4,
        EvalDays = 7,
        ImageSignal = 0.6,
        ImageNuisance = 0.5,
        ImageNoise = 0.6,
        LeafPopularitySpread = 0.5,
    };

    /// <summary>The second data set's domain mix: electronics, home and kitchen up, apparel and beauty down.</summary>
    private static readonly FrozenDictionary<string, double> DomainMixB = new Dictionary<string, double>(StringComparer.Ordinal)
    {
        ["electronics"] = 1.8,
        ["home"] = 1.6,
        ["kitchen"] = 1.4,
        ["apparel"] = 0.5,
        ["beauty"] = 0.5,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The preset names <see cref="Get"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["tiny", "small", "medium", "large", "xlarge", "realistic", "realistic-b", "realistic-tiny"];

    /// <summary>
    /// Returns a named preset: tiny (tests), small, medium, large, xlarge (benchmarks; xlarge is the 10M-item scale run); realistic (the shipped model's
    /// data), realistic-b (an independent second data set with another domain mix), realistic-tiny (tests).
    /// </summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Names"/>.</exception>
    public static SyntheticPreset Get(string name) => name switch
    {
        "tiny" => new("tiny", Items: 400, Users: 140, MeanRequestsPerUser: 4, ImageDim: 16, Leaves: 40),
        "small" => new("small", Items: 5_000, Users: 2_000, MeanRequestsPerUser: 4, ImageDim: 32),
        "medium" => new("medium", Items: 50_000, Users: 10_000, MeanRequestsPerUser: 6, ImageDim: 32),
        "large" => new("large", Items: 1_000_000, Users: 20_000, MeanRequestsPerUser: 6, ImageDim: 32),
        "xlarge" => new("xlarge", Items: 10_000_000, Users: 20_000, MeanRequestsPerUser: 6, ImageDim: 32),
        "realistic" => new("realistic", Items: 10_000, Users: 5_000, MeanRequestsPerUser: 8, ImageDim: 32,
            ZipfExponent: 1.1, BrowseFraction: 0.1, Realism: RealisticMechanisms),
        "realistic-b" => new("realistic-b", Items: 8_000, Users: 4_000, MeanRequestsPerUser: 7, ImageDim: 32,
            ZipfExponent: 1.1, BrowseFraction: 0.1,
            Realism: RealisticMechanisms with { OutOfInterestShare = 0.4, TopCategoryWeights = DomainMixB }),
        "realistic-tiny" => new("realistic-tiny", Items: 500, Users: 200, MeanRequestsPerUser: 6, ImageDim: 16, Leaves: 40,
            ZipfExponent: 1.1, BrowseFraction: 0.1, Realism: RealisticMechanisms),
        _ => throw new ArgumentException(
            $"unknown preset '{name}' (expected one of {string.Join(", ", Names)})", nameof(name)),
    };

    /// <summary>Checks that the numbers make a usable data set.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Items, 20, nameof(Items));
        ArgumentOutOfRangeException.ThrowIfLessThan(Users, 1, nameof(Users));
        ArgumentOutOfRangeException.ThrowIfLessThan(MeanRequestsPerUser, 3, nameof(MeanRequestsPerUser));
        ArgumentOutOfRangeException.ThrowIfLessThan(ImageDim, 1, nameof(ImageDim));
        ArgumentOutOfRangeException.ThrowIfNegative(Leaves, nameof(Leaves));
        if (ColdFraction is < 0 or >= 0.9)
        {
            throw new ArgumentOutOfRangeException(nameof(ColdFraction), ColdFraction, "must be in [0, 0.9)");
        }

        if (BrowseFraction is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(BrowseFraction), BrowseFraction, "must be in [0, 1]");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(ZipfExponent, nameof(ZipfExponent));
        ArgumentOutOfRangeException.ThrowIfLessThan(Days, 1, nameof(Days));
        Realism?.Validate(Days);
    }
}
