using System.Globalization;

namespace Karma.Core.Data.Synthetic;

/// <summary>
/// Simulates users searching: each user has one to three latent interests (a leaf category plus a
/// preferred color and style) and a time-ordered series of requests. Every request shows 10-20 items,
/// mostly from the interest's leaf by popularity; clicks follow latent match and popularity. A user's
/// last two requests are the evaluation period: exactly one click each, and only there may cold items
/// be shown or engaged.
/// </summary>
internal sealed class SessionSimulator(Catalog catalog, SyntheticPreset preset, Random random, EventCounters counters)
{
    /// <summary>Unix time of the simulated period's start (2026-01-01T00:00:00Z).</summary>
    public const long Epoch = 1767225600;

    private const int MinImpressions = 10;
    private const int MaxImpressions = 20;
    private const double LeafShare = 0.7;
    private const int MaxOrdinaryClicks = 3;

    // Relevance of an item to a user's interest (latent match plus popularity).
    private const double LeafMatch = 1.6;
    private const double ColorMatch = 0.9;
    private const double StyleMatch = 0.9;
    private const double PopularityGain = 0.8;
    private const double ClickBias = 4.2;
    private const double FinalSharpness = 2.0;

    private readonly List<int> _shown = new(MaxImpressions);
    private readonly List<int> _clicked = new(MaxOrdinaryClicks);
    private readonly double[] _relevance = new double[MaxImpressions];

    private sealed record Interest(int Leaf, int Color, int Style);

    /// <summary>Streams all users' events, user by user, each user's requests in time order.</summary>
    public IEnumerable<SearchEvent> Events(IProgress<string>? progress)
    {
        var tax = Taxonomy.Instance;
        int users = preset.Users;
        string userFormat = "D" + Math.Max(1, (users - 1).ToString(CultureInfo.InvariantCulture).Length)
            .ToString(CultureInfo.InvariantCulture);
        // Interests go to leaves that have warm items, by the leaves' weights.
        int[] usable = Enumerable.Range(0, catalog.Leaves.Length).Where(l => catalog.LeafWarm[l].Count > 0).ToArray();
        var interestLeaves = new WeightedTable(usable, l => catalog.LeafWeight[l]);
        long period = preset.Days * 86_400L;
        int nextReport = 1;
        var interests = new List<Interest>(3);
        double[] interestWeights = [1.0, 0.6, 0.4];
        // Browsing needs a history, so a user's requests before the first engagement always have a query;
        // the others browse a little more often to keep the overall share near BrowseFraction.
        double browse = Math.Min(1.0, preset.BrowseFraction / (1.0 - (1.0 / preset.MeanRequestsPerUser)));

        for (int u = 0; u < users; u++)
        {
            string userId = "u" + u.ToString(userFormat, CultureInfo.InvariantCulture);
            interests.Clear();
            int wanted = 1 + random.Next(3);
            for (int attempt = 0; interests.Count < wanted && attempt < 10; attempt++)
            {
                int leaf = interestLeaves.Sample(random);
                if (interests.TrueForAll(i => i.Leaf != leaf))
                {
                    interests.Add(new Interest(leaf, random.Next(tax.Colors.Length), random.Next(tax.Styles.Length)));
                }
            }

            int requests = 3 + random.NextGeometric(preset.MeanRequestsPerUser - 3);
            long[] times = new long[requests];
            for (int k = 0; k < requests; k++)
            {
                times[k] = Epoch + (long)(random.NextDouble() * period);
            }

            Array.Sort(times);
            for (int k = 1; k < requests; k++)
            {
                times[k] = Math.Max(times[k], times[k - 1] + 600); // requests at least 10 minutes apart
            }

            bool engaged = false;
            for (int k = 0; k < requests; k++)
            {
                bool final = k >= requests - 2;
                var interest = interests[random.PickWeighted(interestWeights.AsSpan(0, interests.Count))];
                string? query = engaged && random.Chance(browse)
                    ? null
                    : TextBuilder.Query(random, catalog.Leaves[interest.Leaf], interest.Color, interest.Style);
                Impress(interest.Leaf, allowCold: final);
                for (int s = 0; s < _shown.Count; s++)
                {
                    _relevance[s] = Relevance(_shown[s], interest);
                }

                _clicked.Clear();
                if (final || (k == requests - 3 && !engaged))
                {
                    _clicked.Add(_shown[PickOne()]); // exactly one click
                }
                else
                {
                    for (int s = 0; s < _shown.Count && _clicked.Count < MaxOrdinaryClicks; s++)
                    {
                        if (random.Chance(1.0 / (1.0 + Math.Exp(ClickBias - _relevance[s]))))
                        {
                            _clicked.Add(_shown[s]);
                        }
                    }
                }

                engaged |= _clicked.Count > 0;
                string requestId = "r" + counters.Requests.ToString(CultureInfo.InvariantCulture);
                counters.Requests++;
                long t = times[k];
                foreach (int item in _shown)
                {
                    counters.Impressions++;
                    counters.Events++;
                    yield return new SearchEvent(userId, catalog.Ids[item], t, UserAction.Impression, query, requestId);
                }

                long clickTime = t;
                foreach (int item in _clicked)
                {
                    clickTime += 3 + random.Next(120);
                    counters.Clicks++;
                    counters.Events++;
                    yield return new SearchEvent(userId, catalog.Ids[item], clickTime, UserAction.Click, query, requestId);
                    if (random.Chance(0.12))
                    {
                        long cartTime = clickTime + 30 + random.Next(900);
                        counters.Carts++;
                        counters.Events++;
                        yield return new SearchEvent(userId, catalog.Ids[item], cartTime, UserAction.Cart, query, requestId);
                        if (random.Chance(0.45))
                        {
                            counters.Purchases++;
                            counters.Events++;
                            yield return new SearchEvent(userId, catalog.Ids[item], cartTime + 60 + random.Next(3600),
                                UserAction.Purchase, query, requestId);
                        }
                    }
                }
            }

            if (progress is not null && (u + 1) * 10L >= nextReport * (long)users)
            {
                progress.Report($"events: {nextReport * 10}% ({u + 1:N0} users, {counters.Events:N0} events)");
                nextReport = (int)((u + 1) * 10L / users) + 1;
            }
        }
    }

    private double Relevance(int item, Interest interest) =>
        (catalog.Leaf[item] == interest.Leaf ? LeafMatch : 0)
        + (catalog.Color[item] == interest.Color ? ColorMatch : 0)
        + (catalog.Style[item] == interest.Style ? StyleMatch : 0)
        + (PopularityGain * catalog.PopularityScore[item]);

    /// <summary>One shown position drawn by softmax of sharpened relevance.</summary>
    private int PickOne()
    {
        Span<double> w = stackalloc double[_shown.Count];
        for (int s = 0; s < w.Length; s++)
        {
            w[s] = Math.Exp(FinalSharpness * _relevance[s]);
        }

        return random.PickWeighted(w);
    }

    /// <summary>Fills <see cref="_shown"/>: mostly the leaf's items by popularity, the rest popular items from anywhere.</summary>
    private void Impress(int leaf, bool allowCold)
    {
        _shown.Clear();
        int count = MinImpressions + random.Next(MaxImpressions - MinImpressions + 1);
        var leafTable = allowCold ? catalog.LeafAll[leaf] : catalog.LeafWarm[leaf];
        int fromLeaf = Math.Min((int)Math.Round(count * LeafShare), leafTable.Count);
        Draw(leafTable, fromLeaf, tries: 4 * fromLeaf);
        var global = allowCold ? catalog.GlobalAll : catalog.GlobalWarm;
        Draw(global, Math.Min(count, global.Count), tries: 20 * count);
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_shown));
    }

    private void Draw(WeightedTable table, int upTo, int tries)
    {
        for (int t = 0; t < tries && _shown.Count < upTo; t++)
        {
            int item = table.Sample(random);
            if (!_shown.Contains(item))
            {
                _shown.Add(item);
            }
        }
    }
}
