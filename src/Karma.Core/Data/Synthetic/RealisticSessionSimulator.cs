using System.Globalization;

namespace Karma.Core.Data.Synthetic;

/// <summary>
/// Simulates the realistic presets' users (docs/synthetic-data.md). Each user has a persistent taste and
/// drifting interests; before each request the need is one of the interests or, with probability
/// <see cref="Realism.OutOfInterestShare"/>, a leaf outside them. The <see cref="ProductionRanker"/> shows a
/// ranked page of items that exist at the request's time; the user examines position p with probability
/// (1 + p)^-<see cref="Realism.PositionBias"/> and clicks an examined item with probability
/// σ(relevance − bias), where relevance is the need match, the query's stated modifiers, the taste and the
/// popularity. A query without a click may be rephrased. Every user's final two requests lie in the
/// evaluation window and keep exactly one engagement, drawn ∝ examination × exp(sharpness × relevance).
/// </summary>
internal sealed class RealisticSessionSimulator
{
    private const int MaxOrdinaryClicks = 3;
    private const int MaxReformulations = 2;
    private const long MinRequestGap = 600;

    // Relevance of an item to a request: the need dominates, the query's stated modifiers and the taste refine.
    private const double NeedMatch = 2.5;
    private const double SiblingMatch = 1.0;
    private const double StatedModifierMatch = 1.0;
    private const double PrimaryColorMatch = 0.9;
    private const double SecondaryColorMatch = 0.5;
    private const double StyleMatch = 0.7;
    private const double PriceFitGain = 0.8;
    private const double PriceTolerance = 0.4;
    private const double BrandMatch = 0.9;
    private const double PopularityGain = 0.8;
    private const double ClickBias = 5.0;
    private const double FinalSharpness = 2.0;

    private readonly Catalog _catalog;
    private readonly SyntheticPreset _preset;
    private readonly Realism _realism;
    private readonly Random _random;
    private readonly EventCounters _counters;
    private readonly Action<RequestTrace>? _trace;
    private readonly CatalogTimeline _timeline;
    private readonly ProductionRanker _ranker;
    private readonly SimulationPeriod _period;
    private readonly List<int> _shown = new(ProductionRanker.PageSize);
    private readonly List<int> _clicked = new(MaxOrdinaryClicks);
    private readonly double[] _relevance = new double[ProductionRanker.PageSize];
    private readonly double[] _examination = new double[ProductionRanker.PageSize];
    private readonly List<SearchEvent> _buffer = [];

    public RealisticSessionSimulator(Catalog catalog, SyntheticPreset preset, Random random, EventCounters counters,
        Action<RequestTrace>? trace = null)
    {
        _catalog = catalog;
        _preset = preset;
        _realism = preset.Realism ?? throw new ArgumentException("the preset has no realism settings", nameof(preset));
        _random = random;
        _counters = counters;
        _trace = trace;
        _timeline = new CatalogTimeline(catalog);
        _ranker = new ProductionRanker(catalog, _timeline, _realism.RankerNoise, random);
        _period = SimulationPeriod.For(preset);
        for (int p = 0; p < _examination.Length; p++)
        {
            _examination[p] = Math.Pow(1.0 + p, -_realism.PositionBias);
        }
    }

    /// <summary>Streams all users' events, user by user, each user's requests in time order.</summary>
    public IEnumerable<SearchEvent> Events(IProgress<string>? progress)
    {
        int users = _preset.Users;
        string userFormat = "D" + Math.Max(1, (users - 1).ToString(CultureInfo.InvariantCulture).Length)
            .ToString(CultureInfo.InvariantCulture);
        int[] usable = Enumerable.Range(0, _catalog.Leaves.Length).Where(l => _catalog.LeafWarm[l].Count > 0).ToArray();
        var leaves = new WeightedTable(usable, l => _catalog.LeafWeight[l]);
        // Browsing needs a history and an in-interest need; those requests browse more often so that the
        // share among fresh (not rephrased) requests stays near BrowseFraction.
        double browse = Math.Min(1.0, _preset.BrowseFraction
            / ((1.0 - _realism.OutOfInterestShare) * (1.0 - (1.0 / _preset.MeanRequestsPerUser))));
        int nextReport = 1;

        for (int u = 0; u < users; u++)
        {
            string userId = "u" + u.ToString(userFormat, CultureInfo.InvariantCulture);
            var user = SimulatedUser.Create(_random, _realism, leaves);
            int requests = 3 + _random.NextGeometric(_preset.MeanRequestsPerUser - 3);
            long[] times = RequestTimes(requests);
            bool engaged = false;
            for (int k = 0; k < requests; k++)
            {
                bool final = k >= requests - 2;
                if (_random.Chance(_realism.InterestDrift))
                {
                    user.Drift(_random, leaves);
                }

                int need = _random.Chance(_realism.OutOfInterestShare) ? user.DrawOutside(_random, leaves) : -1;
                bool outOfInterest = need >= 0;
                if (!outOfInterest)
                {
                    need = user.PickInterest(_random);
                }

                var query = outOfInterest || !engaged || !_random.Chance(browse)
                    ? QuerySpec.Create(_random, _catalog, need, user, _realism.QueryModifierShare)
                    : null;
                // Exactly one click in the final two requests, and in the one before them if nothing was
                // engaged yet, so every user has a training, a validation and a test example.
                bool forced = final || (k == requests - 3 && !engaged);
                long time = times[k];
                for (int reformulation = 0; ; reformulation++)
                {
                    int clicks = Request(userId, user, need, query, time, final, forced, outOfInterest, reformulation);
                    foreach (var e in _buffer)
                    {
                        yield return e;
                    }

                    engaged |= clicks > 0;
                    if (clicks > 0 || query is null || forced || reformulation == MaxReformulations
                        || !_random.Chance(_realism.Reformulation))
                    {
                        break;
                    }

                    query = query.Reformulate(_random, _catalog, user);
                    time += 20 + _random.Next(161); // 20-180 s later
                }

                if (final && k == requests - 1 && outOfInterest)
                {
                    _counters.FinalOutOfInterest++;
                }
            }

            if (progress is not null && (u + 1) * 10L >= nextReport * (long)users)
            {
                progress.Report($"events: {nextReport * 10}% ({u + 1:N0} users, {_counters.Events:N0} events)");
                nextReport = (int)((u + 1) * 10L / users) + 1;
            }
        }
    }

    /// <summary>
    /// A user's request times in order, at least <see cref="MinRequestGap"/> apart. With an evaluation window,
    /// the final two fall inside it and all others before it (so leave-last-out is also a time split).
    /// </summary>
    private long[] RequestTimes(int requests)
    {
        var times = new long[requests];
        if (!_period.HasWindow)
        {
            Spread(times, 0, requests, _period.Start, _period.End - _period.Start);
            return times;
        }

        Spread(times, 0, requests - 2, _period.Start, _period.WindowStart - SimulationPeriod.Margin - _period.Start);
        Spread(times, requests - 2, 2, _period.WindowStart, _period.End - SimulationPeriod.Margin - _period.WindowStart);
        return times;
    }

    /// <summary>
    /// Fills times[from..from+count) with sorted uniform times in [start, start + span), at least
    /// <see cref="MinRequestGap"/> apart: sorted uniforms in a span shortened by the gaps, plus k gaps.
    /// </summary>
    private void Spread(long[] times, int from, int count, long start, long span)
    {
        long free = Math.Max(1, span - (MinRequestGap * (count - 1)));
        for (int k = 0; k < count; k++)
        {
            times[from + k] = (long)(_random.NextDouble() * free);
        }

        Array.Sort(times, from, count);
        for (int k = 0; k < count; k++)
        {
            times[from + k] += start + (MinRequestGap * k);
        }
    }

    /// <summary>Simulates one result page into <see cref="_buffer"/>; returns the number of clicks.</summary>
    private int Request(string userId, SimulatedUser user, int need, QuerySpec? query, long time, bool final, bool forced,
        bool outOfInterest, int reformulation)
    {
        _buffer.Clear();
        _ranker.Rank(need, query, time, allowCold: final, _shown);
        int n = _shown.Count;
        for (int s = 0; s < n; s++)
        {
            _relevance[s] = Relevance(_shown[s], user, need, query);
        }

        _clicked.Clear();
        if (forced)
        {
            if (n > 0)
            {
                int s = PickOne(n);
                _clicked.Add(s);
            }
        }
        else
        {
            for (int s = 0; s < n && _clicked.Count < MaxOrdinaryClicks; s++)
            {
                // One draw for "examined and attracted": P = examination × σ(relevance − bias).
                if (_random.Chance(_examination[s] / (1.0 + Math.Exp(ClickBias - _relevance[s]))))
                {
                    _clicked.Add(s);
                }
            }
        }

        string requestId = "r" + _counters.Requests.ToString(CultureInfo.InvariantCulture);
        _counters.Requests++;
        _counters.OutOfInterestRequests += outOfInterest ? 1 : 0;
        _counters.Reformulations += reformulation > 0 ? 1 : 0;
        string? text = query?.Text;
        _trace?.Invoke(new RequestTrace(userId, requestId, time, need, [.. user.Interests], outOfInterest, final, reformulation, text));
        for (int s = 0; s < n; s++)
        {
            _counters.Impressions++;
            _counters.ShownAt[s]++;
            _buffer.Add(new SearchEvent(userId, _catalog.Ids[_shown[s]], time, UserAction.Impression, text, requestId));
        }

        long clickTime = time;
        foreach (int s in _clicked)
        {
            string itemId = _catalog.Ids[_shown[s]];
            clickTime += 3 + _random.Next(120);
            _counters.Clicks++;
            _counters.ClickedAt[s]++;
            _buffer.Add(new SearchEvent(userId, itemId, clickTime, UserAction.Click, text, requestId));
            if (_random.Chance(0.12))
            {
                long cartTime = clickTime + 30 + _random.Next(900);
                _counters.Carts++;
                _buffer.Add(new SearchEvent(userId, itemId, cartTime, UserAction.Cart, text, requestId));
                if (_random.Chance(0.45))
                {
                    _counters.Purchases++;
                    _buffer.Add(new SearchEvent(userId, itemId, cartTime + 60 + _random.Next(3600), UserAction.Purchase, text, requestId));
                }
            }
        }

        _counters.Events += _buffer.Count;
        return _clicked.Count;
    }

    /// <summary>
    /// How much the user wants an item for this need: the need's leaf (its sub-category's other leaves a
    /// little), the modifiers the query states, the persistent taste and the item's popularity.
    /// </summary>
    private double Relevance(int item, SimulatedUser user, int need, QuerySpec? query)
    {
        var c = _catalog;
        int leaf = c.Leaf[item];
        double r = leaf == need ? NeedMatch : _timeline.AreSiblings(leaf, need) ? SiblingMatch : 0;
        if (query is not null)
        {
            int stated = (query.Value(QueryModifier.Color) == c.Color[item] ? 1 : 0)
                + (query.Value(QueryModifier.Style) == c.Style[item] ? 1 : 0)
                + (query.Value(QueryModifier.Material) == c.Material[item] ? 1 : 0)
                + (query.Value(QueryModifier.Audience) >= 0 && query.Value(QueryModifier.Audience) == c.Audience[item] ? 1 : 0)
                + (query.Value(QueryModifier.Brand) >= 0 && query.Value(QueryModifier.Brand) == c.Brand[item]
                    && c.Leaves[leaf].Top == c.Leaves[need].Top ? 1 : 0);
            r += StatedModifierMatch * stated;
        }

        int top = c.Leaves[leaf].Top;
        double relativePrice = c.LogPrice[item] - (Taxonomy.Instance.Tops[top].LogPrice + c.LeafPriceOffset[leaf]) - user.PriceOffset;
        double taste = (c.Color[item] == user.PrimaryColor ? PrimaryColorMatch : c.Color[item] == user.SecondaryColor ? SecondaryColorMatch : 0)
            + (c.Style[item] == user.Style ? StyleMatch : 0)
            + (PriceFitGain * Math.Exp(-relativePrice * relativePrice / (2 * PriceTolerance * PriceTolerance)))
            + (c.Brand[item] >= 0 && c.Brand[item] == user.FavouriteBrand[top] ? BrandMatch : 0);
        return r + (_realism.TasteWeight * taste) + (PopularityGain * c.PopularityScore[item]);
    }

    /// <summary>The one engaged position of a forced request, drawn ∝ examination × exp(sharpness × relevance).</summary>
    private int PickOne(int n)
    {
        Span<double> w = stackalloc double[n];
        for (int s = 0; s < n; s++)
        {
            w[s] = _examination[s] * Math.Exp(FinalSharpness * _relevance[s]);
        }

        return _random.PickWeighted(w);
    }
}
