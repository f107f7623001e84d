using Karma.Core.Data;
using Karma.Core.Data.Synthetic;

namespace Karma.Core.Tests.Data;

/// <summary>The realistic mechanisms, checked on the generated files plus what the simulator traced.</summary>
public sealed class RealisticSyntheticDataTests(RealisticSyntheticData data) : IClassFixture<RealisticSyntheticData>
{
    private static Realism Realism => RealisticSyntheticData.Preset.Realism!;

    /// <summary>Users' final two requests (the last two, which are the last two engaged ones).</summary>
    private IEnumerable<LoggedRequest> FinalRequests => data.ByUser.SelectMany(u => u.Skip(u.Count - 2));

    private IEnumerable<LoggedRequest> EarlierRequests => data.ByUser.SelectMany(u => u.Take(u.Count - 2));

    [Fact]
    public void ImpressionsAreRanked_PositionOneCtrClearlyAbovePositionTen()
    {
        var shown = new long[ProductionRanker.PageSize];
        var clicked = new long[ProductionRanker.PageSize];
        foreach (var r in data.Requests)
        {
            for (int p = 0; p < r.Shown.Count; p++)
            {
                shown[p]++;
            }

            foreach (var click in r.Engagements.Where(e => e.Action == UserAction.Click))
            {
                clicked[r.Shown.IndexOf(click.ItemId)]++;
            }
        }

        double Ctr(int position) => clicked[position - 1] / (double)shown[position - 1];
        Assert.True(Ctr(1) > 3 * Ctr(10), $"CTR@1 {Ctr(1):F3}, CTR@10 {Ctr(10):F3}");
        Assert.True(Ctr(1) > Ctr(5) && Ctr(5) > Ctr(10), $"CTR@1 {Ctr(1):F3}, @5 {Ctr(5):F3}, @10 {Ctr(10):F3}");
        // The summary counts the same thing.
        Assert.Equal(Ctr(1), data.Summary.Realism!.ClickThroughAt(1), 9);
        Assert.Equal(Ctr(10), data.Summary.Realism.ClickThroughAt(10), 9);
    }

    [Fact]
    public void NoItemIsImpressedBeforeItsArrival_AndLateItemsAreShownOnceArrived()
    {
        long[] arrival = data.Catalog.Arrival!;
        var period = RealisticSyntheticData.Period;
        int lateShown = 0;
        foreach (var r in data.Requests)
        {
            foreach (string id in r.Shown)
            {
                long at = arrival[data.ItemIndex[id]];
                Assert.True(at <= r.Time, $"{id} arrives at {at}, shown in {r.RequestId} at {r.Time}");
                lateShown += at > period.Start ? 1 : 0;
            }
        }

        Assert.True(lateShown > 1_000, $"{lateShown} impressions of late items");
        double atStart = arrival.Count(t => t == period.Start) / (double)arrival.Length;
        Assert.InRange(atStart, 0.4, 0.6);
        Assert.Equal(data.Summary.Realism!.LateItems, arrival.Count(t => t > period.Start));
    }

    [Fact]
    public void ColdItemsArriveInTheWindow_AndAreShownAndEngagedOnlyInFinalRequests()
    {
        var period = RealisticSyntheticData.Period;
        var cold = data.Summary.ColdItemIds.ToHashSet(StringComparer.Ordinal);
        Assert.All(cold, id => Assert.InRange(data.Catalog.Arrival![data.ItemIndex[id]], period.WindowStart, period.End - 1));
        Assert.All(EarlierRequests, r => Assert.DoesNotContain(r.Shown, cold.Contains));
        int coldFinalEngagements = FinalRequests.Count(r => r.Engagements.Any(e => cold.Contains(e.ItemId)));
        Assert.True(coldFinalEngagements > 30, $"{coldFinalEngagements} final requests engaged a cold item");
    }

    [Fact]
    public void FinalTwoRequestsLieInTheEvaluationWindow_WithOneClickEach_AllEarlierEventsBeforeIt()
    {
        var period = RealisticSyntheticData.Period;
        Assert.Equal(Realism.EvalDays * 86_400L, period.End - period.WindowStart);
        foreach (var user in data.ByUser)
        {
            Assert.True(user.Count >= 3);
            foreach (var r in user.Skip(user.Count - 2))
            {
                Assert.InRange(r.Time, period.WindowStart, period.End);
                Assert.Single(r.Engagements, e => e.Action == UserAction.Click);
            }

            Assert.True(user[^1].Time > user[^2].Time);
            foreach (var r in user.Take(user.Count - 2))
            {
                Assert.True(r.LastEventTime < period.WindowStart, $"{r.RequestId} ends at {r.LastEventTime}, window starts {period.WindowStart}");
            }
        }
    }

    [Fact]
    public void OutOfInterestNeeds_AreOutsideTheInterests_HaveQueries_AndTheirShareOfFinalRequestsIsTheSetting()
    {
        foreach (var t in data.Traces.Values)
        {
            Assert.Equal(!t.OutOfInterest, t.Interests.Contains(t.NeedLeaf));
            if (t.OutOfInterest)
            {
                Assert.NotNull(t.Query);
            }
        }

        var last = data.ByUser.Select(u => data.Traces[u[^1].RequestId]).ToList();
        double finalShare = last.Count(t => t.OutOfInterest) / (double)last.Count;
        Assert.InRange(finalShare, Realism.OutOfInterestShare - 0.05, Realism.OutOfInterestShare + 0.05);
        Assert.Equal(last.Count(t => t.OutOfInterest), data.Summary.Realism!.FinalOutOfInterest);
        var fresh = data.Traces.Values.Where(t => t.Reformulation == 0).ToList();
        double share = fresh.Count(t => t.OutOfInterest) / (double)fresh.Count;
        Assert.InRange(share, Realism.OutOfInterestShare - 0.03, Realism.OutOfInterestShare + 0.03);
    }

    [Fact]
    public void Reformulations_FollowAQueryWithoutClick_ForTheSameNeed_20To180SecondsLater_AtMostTwoInARow()
    {
        int eligible = 0, followed = 0;
        foreach (var user in data.ByUser)
        {
            for (int k = 0; k < user.Count; k++)
            {
                var t = data.Traces[user[k].RequestId];
                Assert.InRange(t.Reformulation, 0, 2);
                if (t.Reformulation > 0)
                {
                    var before = user[k - 1];
                    var previous = data.Traces[before.RequestId];
                    Assert.Equal(t.Reformulation - 1, previous.Reformulation);
                    Assert.Equal(previous.NeedLeaf, t.NeedLeaf);
                    Assert.Empty(before.Engagements);
                    Assert.NotNull(before.Query);
                    Assert.NotEqual(before.Query, user[k].Query);
                    Assert.InRange(user[k].Time - before.Time, 20, 180);
                }

                // A query request without a click before the window may be rephrased (twice at most).
                if (!t.Final && t.Query is not null && user[k].Engagements.Count == 0 && t.Reformulation < 2)
                {
                    eligible++;
                    followed += k + 1 < user.Count && data.Traces[user[k + 1].RequestId].Reformulation > 0 ? 1 : 0;
                }
            }
        }

        Assert.Equal(data.Summary.Realism!.ReformulatedRequests, data.Traces.Values.Count(t => t.Reformulation > 0));
        Assert.InRange(followed / (double)eligible, Realism.Reformulation - 0.07, Realism.Reformulation + 0.07);
    }

    [Fact]
    public void BrowseRequests_AreInInterest_AboutTenPercent()
    {
        var browse = data.Traces.Values.Where(t => t.Query is null).ToList();
        Assert.All(browse, t => Assert.False(t.OutOfInterest));
        Assert.InRange(browse.Count / (double)data.Traces.Count, 0.06, 0.13);
    }

    [Fact]
    public void TheNeedDominatesClicks_AndTheHistoryTellsTheTasteWithinIt()
    {
        var c = data.Catalog;
        int finals = 0, inNeed = 0, colorHits = 0;
        double colorExpected = 0;
        foreach (var user in data.ByUser)
        {
            // The color the user clicked most before the window; ties to the lowest color index.
            var history = user.Take(user.Count - 2).SelectMany(r => r.Engagements).Select(e => c.Color[data.ItemIndex[e.ItemId]]).ToList();
            byte favourite = history.GroupBy(x => x).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
            foreach (var final in user.Skip(user.Count - 2))
            {
                int target = data.ItemIndex[final.Engagements[0].ItemId];
                finals++;
                inNeed += c.Leaf[target] == data.Traces[final.RequestId].NeedLeaf ? 1 : 0;
                colorHits += c.Color[target] == favourite ? 1 : 0;
                colorExpected += final.Shown.Count(id => c.Color[data.ItemIndex[id]] == favourite) / (double)final.Shown.Count;
            }
        }

        Assert.True(inNeed > 0.9 * finals, $"{inNeed} of {finals} final clicks in the need's leaf");
        // The final clicks have the history's favourite color clearly more often than their pages show it.
        double lift = colorHits / colorExpected;
        Assert.True(lift > 1.2, $"favourite-color lift {lift:F2} ({colorHits} hits, {colorExpected:F1} expected from the pages)");
    }

    [Fact]
    public void SearchLogAndTemporalSplit_ReadTheData_TestExamplesForMostUsers_SplitIsAlsoByTime()
    {
        var log = data.Log;
        Assert.Equal(data.Summary.Requests, log.Requests.Count);
        Assert.Equal(data.Summary.Events, log.EventCount);
        var split = TemporalSplit.Build(log, 50);
        Assert.True(split.Test.Count >= 0.95 * log.Users.Count, $"{split.Test.Count} test examples for {log.Users.Count} users");
        Assert.True(split.Validation.Count >= 0.95 * log.Users.Count);
        long window = RealisticSyntheticData.Period.WindowStart;
        Assert.All(split.Test, ex => Assert.True(ex.Timestamp >= window));
        Assert.All(split.Validation, ex => Assert.True(ex.Timestamp >= window));
        Assert.All(split.Train, ex => Assert.True(ex.Timestamp < window));
        Assert.Contains(split.Test, ex => split.IsCold(ex.Target));
    }
}
