namespace Karma.Core.Data.Synthetic;

/// <summary>
/// The search engine whose result pages the realistic log records: it retrieves candidates (the need's leaf
/// by popularity, a few items of sibling leaves, a few popular items from anywhere), all already in the
/// catalog at the request's time, scores them as a keyword engine would (the title's noun synonym and
/// attribute words against the query, the category for browsing) plus popularity plus noise, and shows the
/// best ones in rank order. Its ranking is what makes position bias visible in the log.
/// </summary>
internal sealed class ProductionRanker
{
    private const int MinImpressions = 10;
    private const int MaxImpressions = 20;

    /// <summary>Leaf candidates beyond the page size, so the ranker has a choice.</summary>
    private const int LeafExtra = 6;
    private const int SiblingCandidates = 4;
    private const int PopularCandidates = 3;
    private const int MaxCandidates = MaxImpressions + LeafExtra + SiblingCandidates + PopularCandidates;

    // Keyword scores: the leaf as the engine sees it, and how much an exact title match adds.
    private const double LeafKeyword = 1.0;
    private const double SameNounSynonym = 0.8;
    private const double SiblingKeyword = 0.5;
    private const double BrowseLeaf = 1.5;
    private const double BrowseSibling = 0.6;
    private const double ModifierKeyword = 0.5;
    private const double PopularityWeight = 1.5;

    private readonly Catalog _catalog;
    private readonly CatalogTimeline _timeline;
    private readonly double _noise;
    private readonly Random _random;
    private readonly List<int> _candidates = new(MaxCandidates);
    private readonly double[] _scores = new double[MaxCandidates];
    private readonly int[] _order = new int[MaxCandidates];

    public ProductionRanker(Catalog catalog, CatalogTimeline timeline, double noise, Random random)
    {
        _catalog = catalog;
        _timeline = timeline;
        _noise = noise;
        _random = random;
    }

    /// <summary>Most items a page shows.</summary>
    public static int PageSize => MaxImpressions;

    /// <summary>
    /// Fills <paramref name="shown"/> with a result page for a need at a time, best first. Cold items take part
    /// only when <paramref name="allowCold"/> (a user's final requests).
    /// </summary>
    public void Rank(int need, QuerySpec? query, long time, bool allowCold, List<int> shown)
    {
        shown.Clear();
        _candidates.Clear();
        int count = MinImpressions + _random.Next(MaxImpressions - MinImpressions + 1);
        var leafTable = _timeline.Leaf(need, allowCold);
        Draw(leafTable, leafTable.CountAt(time), count + LeafExtra);
        var siblings = _timeline.Siblings(need);
        if (siblings.Count > 0)
        {
            for (int k = 0; k < SiblingCandidates; k++)
            {
                var table = _timeline.Leaf(siblings[_random.Next(siblings.Count)], allowCold);
                Draw(table, table.CountAt(time), _candidates.Count + 1);
            }
        }

        var global = _timeline.Global(allowCold);
        int present = global.CountAt(time);
        Draw(global, present, _candidates.Count + PopularCandidates);
        // A thin leaf: fill the page with popular items, as engines pad sparse result pages.
        Draw(global, present, count);

        int n = _candidates.Count;
        for (int k = 0; k < n; k++)
        {
            int item = _candidates[k];
            _scores[k] = -(Keyword(item, need, query) + (PopularityWeight * _catalog.PopularityScore[item])
                + (_noise * _random.NextGaussian())); // negated: Array.Sort is ascending
            _order[k] = item;
        }

        Array.Sort(_scores, _order, 0, n);
        for (int k = 0; k < Math.Min(count, n); k++)
        {
            shown.Add(_order[k]);
        }
    }

    /// <summary>What a keyword engine sees: the leaf (through the title's noun and the category) and the query's modifiers in the title.</summary>
    private double Keyword(int item, int need, QuerySpec? query)
    {
        int leaf = _catalog.Leaf[item];
        bool sibling = leaf != need && _timeline.AreSiblings(leaf, need);
        if (query is null)
        {
            return leaf == need ? BrowseLeaf : sibling ? BrowseSibling : 0;
        }

        double score = leaf == need ? LeafKeyword + (_catalog.TitleNoun[item] == query.Noun ? SameNounSynonym : 0)
            : sibling ? SiblingKeyword : 0;
        var shows = _catalog.TitleShows[item];
        score += Match(query, QueryModifier.Color, _catalog.Color[item], shows.HasFlag(TitleWords.Color))
            + Match(query, QueryModifier.Style, _catalog.Style[item], shows.HasFlag(TitleWords.Style))
            + Match(query, QueryModifier.Material, _catalog.Material[item], shows.HasFlag(TitleWords.Material))
            + Match(query, QueryModifier.Audience, _catalog.Audience[item], shows.HasFlag(TitleWords.Audience))
            // A brand is always in the title; brand indices are per top category.
            + Match(query, QueryModifier.Brand, _catalog.Brand[item], _catalog.Leaves[leaf].Top == _catalog.Leaves[need].Top);
        return score;
    }

    private static double Match(QuerySpec query, QueryModifier kind, int itemValue, bool inTitle) =>
        inTitle && itemValue >= 0 && query.Value(kind) == itemValue ? ModifierKeyword : 0;

    /// <summary>Adds distinct draws from the first <paramref name="present"/> items of a table until there are <paramref name="upTo"/> candidates.</summary>
    private void Draw(TimedTable table, int present, int upTo)
    {
        // Never more than the table can give, so a thin leaf does not spin through its tries.
        upTo = Math.Min(upTo, _candidates.Count + present);
        int tries = 20 * (upTo - _candidates.Count);
        for (int t = 0; t < tries && _candidates.Count < upTo; t++)
        {
            int item = table.Sample(_random, present);
            if (!_candidates.Contains(item))
            {
                _candidates.Add(item);
            }
        }
    }
}
