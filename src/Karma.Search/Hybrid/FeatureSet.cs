namespace Karma.Search.Hybrid;

/// <summary>One pre-ranker input feature of a (request, candidate) pair.</summary>
public enum Feature
{
    /// <summary>Inner product of the interest embedding h_t and the candidate's embedding e.</summary>
    KarmaScore,

    /// <summary>BM25 of the query against the candidate's text, divided by 10 (0 when no query term matches).</summary>
    Bm25,

    /// <summary>BM25 relative to the best-matching item's BM25 for this query, in [0, 1].</summary>
    Bm25Relative,

    /// <summary>Share of the query's 20 best BM25 matches' score mass in the candidate's leaf category: the query's category, as the catalog text sees it.</summary>
    QueryLeafShare,

    /// <summary>The same share for the candidate's top category.</summary>
    QueryTopShare,

    /// <summary>The embedding model's probability of the candidate's leaf category (softmax of h_t over the leaf centroids).</summary>
    KarmaLeafProbability,

    /// <summary>log(1 + history items in the candidate's leaf category).</summary>
    HistoryLeaf,

    /// <summary>The recency-weighted share of the history in the candidate's leaf category (<see cref="RequestContext.HistoryLeaf"/>).</summary>
    HistoryLeafRecency,

    /// <summary>log(1 + history items in the candidate's top category).</summary>
    HistoryTop,

    /// <summary>1 when the most recent history item shares the candidate's leaf category.</summary>
    HistoryLastLeaf,

    /// <summary>Largest inner product of the candidate's embedding with a history item's embedding (0 without history).</summary>
    HistoryMaxCosine,

    /// <summary>Inner product of the candidate's embedding with the normalised mean history embedding (0 without history).</summary>
    HistoryMeanCosine,

    /// <summary>log(1 + training-period engagements) / 5.</summary>
    Popularity,

    /// <summary>log(1 + the candidate's popularity rank within its leaf category) / 5 (0 = the leaf's most popular).</summary>
    LeafPopularityRank,

    /// <summary>log(1 + training-period impressions) / 5: how much the logging ranker showed the candidate.</summary>
    Exposure,

    /// <summary>log(1 + price) / 5.</summary>
    Price,

    /// <summary>|candidate price − mean history price| on the same log scale (0 without history).</summary>
    PriceGap,

    /// <summary>1 when the request has a query.</summary>
    HasQuery,

    /// <summary>log(1 + history length) / 3.</summary>
    HistoryLength,
}

/// <summary>
/// The ordered feature list a pre-ranker was trained on. A model package names its features in its manifest; the
/// service computes them by name, and refuses a package naming a feature it does not know.
/// </summary>
public sealed class FeatureSet
{
    private static readonly Dictionary<string, Feature> ByName = new(StringComparer.Ordinal)
    {
        ["karma_score"] = Feature.KarmaScore,
        ["bm25"] = Feature.Bm25,
        ["bm25_relative"] = Feature.Bm25Relative,
        ["query_leaf_share"] = Feature.QueryLeafShare,
        ["query_top_share"] = Feature.QueryTopShare,
        ["karma_leaf_probability"] = Feature.KarmaLeafProbability,
        ["history_leaf"] = Feature.HistoryLeaf,
        ["history_leaf_recency"] = Feature.HistoryLeafRecency,
        ["history_top"] = Feature.HistoryTop,
        ["history_last_leaf"] = Feature.HistoryLastLeaf,
        ["history_max_cosine"] = Feature.HistoryMaxCosine,
        ["history_mean_cosine"] = Feature.HistoryMeanCosine,
        ["popularity"] = Feature.Popularity,
        ["leaf_popularity_rank"] = Feature.LeafPopularityRank,
        ["exposure"] = Feature.Exposure,
        ["price"] = Feature.Price,
        ["price_gap"] = Feature.PriceGap,
        ["has_query"] = Feature.HasQuery,
        ["history_length"] = Feature.HistoryLength,
    };

    private FeatureSet(IReadOnlyList<string> names, Feature[] features)
    {
        Names = names;
        Features = features;
    }

    /// <summary>Every known feature, in the order new pre-rankers are trained with.</summary>
    public static FeatureSet All { get; } = Parse([.. ByName.Keys]);

    /// <summary>Feature names in input order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Features in input order.</summary>
    public IReadOnlyList<Feature> Features { get; }

    /// <summary>Number of features.</summary>
    public int Count => Features.Count;

    /// <summary>The set named by <paramref name="names"/>, in that order.</summary>
    /// <exception cref="InvalidDataException">A name is unknown, repeated, or the list is empty.</exception>
    public static FeatureSet Parse(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count == 0)
        {
            throw new InvalidDataException("pre-ranker features: the list is empty");
        }

        var features = new Feature[names.Count];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < names.Count; i++)
        {
            string name = names[i] ?? string.Empty;
            if (!ByName.TryGetValue(name, out features[i]))
            {
                throw new InvalidDataException(
                    $"pre-ranker feature '{name}' is not known to this version (known: {string.Join(", ", ByName.Keys)})");
            }

            if (!seen.Add(name))
            {
                throw new InvalidDataException($"pre-ranker feature '{name}' is listed twice");
            }
        }

        return new FeatureSet([.. names], features);
    }
}
