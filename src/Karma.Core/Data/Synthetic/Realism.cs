namespace Karma.Core.Data.Synthetic;

/// <summary>
/// The mechanisms of the realistic presets (docs/synthetic-data.md). A preset without a <see cref="Realism"/>
/// runs the original simulator unchanged; a preset with one runs <see cref="RealisticSessionSimulator"/>, in
/// which every default below means "mechanism off" (or the original behaviour), so each mechanism can be
/// switched on and measured on its own.
/// </summary>
public sealed record Realism
{
    /// <summary>The most interests (leaf categories) a user starts with; the count is uniform in 1..this.</summary>
    public const int InterestSlots = 4;

    /// <summary>Scale of the taste terms (color, style, price fit, brand) in an item's relevance; 0 = no taste.</summary>
    public double TasteWeight { get; init; }

    /// <summary>Probability that a user has a favourite brand in a top category.</summary>
    public double BrandLoyalty { get; init; }

    /// <summary>Most interests a user starts with (1 to <see cref="InterestSlots"/>); the original simulator uses 3.</summary>
    public int MaxInterests { get; init; } = 3;

    /// <summary>Probability, before each request, that one of the user's interests is replaced by a new leaf.</summary>
    public double InterestDrift { get; init; }

    /// <summary>Probability that a request's need is a leaf outside the user's current interests (always with a query).</summary>
    public double OutOfInterestShare { get; init; }

    /// <summary>Probability that a query carries modifiers (color, style, audience, material, brand); 0.45 as the original.</summary>
    public double QueryModifierShare { get; init; } = 0.45;

    /// <summary>Probability that a query request without a click is followed by another query for the same need.</summary>
    public double Reformulation { get; init; }

    /// <summary>Exponent of the examination law: the item at 0-based position p is examined with probability (1 + p)^-this.</summary>
    public double PositionBias { get; init; }

    /// <summary>Standard deviation of the Gaussian noise in the production ranker's score (0 = deterministic ranking).</summary>
    public double RankerNoise { get; init; }

    /// <summary>Share of the warm (non-cold) items that arrive during the period instead of existing at its start.</summary>
    public double LateArrivalShare { get; init; }

    /// <summary>
    /// Days at the end of the period that hold every user's final two requests and the cold items' arrivals;
    /// 0 = final requests at random times, as the original.
    /// </summary>
    public int EvalDays { get; init; }

    /// <summary>Weight of the leaf category (and, at half strength, the color) in the image vector.</summary>
    public double ImageSignal { get; init; } = 1.0;

    /// <summary>Weight of each nuisance attribute (background, lighting, camera angle) in the image vector.</summary>
    public double ImageNuisance { get; init; }

    /// <summary>Weight of the per-item Gaussian noise in the image vector; 0.35 as the original.</summary>
    public double ImageNoise { get; init; } = 0.35;

    /// <summary>Standard deviation of a per-leaf log factor on item popularity (0 = every leaf alike).</summary>
    public double LeafPopularitySpread { get; init; }

    /// <summary>Weight per top category (by name, e.g. "electronics"); leaves not named keep weight 1. Null = all 1.</summary>
    public IReadOnlyDictionary<string, double>? TopCategoryWeights { get; init; }

    /// <summary>Checks every setting against the preset it belongs to.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the exception names it.</exception>
    public void Validate(int days)
    {
        NonNegative(TasteWeight, nameof(TasteWeight));
        Probability(BrandLoyalty, nameof(BrandLoyalty));
        if (MaxInterests is < 1 or > InterestSlots)
        {
            throw OutOfRange(nameof(MaxInterests), MaxInterests, $"must be in [1, {InterestSlots}]");
        }

        Probability(InterestDrift, nameof(InterestDrift));
        if (!(OutOfInterestShare is >= 0 and <= 0.9))
        {
            // Above 0.9 a user's interests hardly show in the log and browse requests cannot keep their share.
            throw OutOfRange(nameof(OutOfInterestShare), OutOfInterestShare, "must be in [0, 0.9]");
        }

        Probability(QueryModifierShare, nameof(QueryModifierShare));
        Probability(Reformulation, nameof(Reformulation));
        if (!(PositionBias is >= 0 and <= 5))
        {
            throw OutOfRange(nameof(PositionBias), PositionBias, "must be in [0, 5]");
        }

        NonNegative(RankerNoise, nameof(RankerNoise));
        if (!(LateArrivalShare is >= 0 and < 1))
        {
            throw OutOfRange(nameof(LateArrivalShare), LateArrivalShare, "must be in [0, 1)");
        }

        if (EvalDays < 0 || EvalDays >= days)
        {
            throw OutOfRange(nameof(EvalDays), EvalDays, $"must be in [0, Days = {days})");
        }

        NonNegative(ImageSignal, nameof(ImageSignal));
        NonNegative(ImageNuisance, nameof(ImageNuisance));
        NonNegative(ImageNoise, nameof(ImageNoise));
        if (!(LeafPopularitySpread is >= 0 and <= 3))
        {
            throw OutOfRange(nameof(LeafPopularitySpread), LeafPopularitySpread, "must be in [0, 3]");
        }

        if (TopCategoryWeights is not null)
        {
            var tops = Taxonomy.Instance.Tops.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var (name, weight) in TopCategoryWeights)
            {
                if (!tops.Contains(name))
                {
                    throw OutOfRange(nameof(TopCategoryWeights), name,
                        $"unknown top category (expected one of {string.Join(", ", tops)})");
                }

                // Zero is refused too: the catalog seeds every used leaf with items before it follows the weights.
                if (!(weight > 0 && double.IsFinite(weight)))
                {
                    throw OutOfRange(nameof(TopCategoryWeights), weight, $"weight of '{name}' must be positive");
                }
            }
        }
    }

    /// <summary>The weight of a top category (1 when not named).</summary>
    internal double TopWeight(string top) =>
        TopCategoryWeights is not null && TopCategoryWeights.TryGetValue(top, out double w) ? w : 1.0;

    /// <summary>The exception for a bad setting, naming it (a helper, as the settings are properties, not parameters).</summary>
    private static ArgumentOutOfRangeException OutOfRange(string name, object value, string message) => new(name, value, message);

    private static void Probability(double value, string name)
    {
        if (!(value is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(name, value, "must be in [0, 1]");
        }
    }

    private static void NonNegative(double value, string name)
    {
        if (!(value >= 0 && double.IsFinite(value)))
        {
            throw new ArgumentOutOfRangeException(name, value, "must be finite and >= 0");
        }
    }
}
