using Karma.Core.Data;

namespace Karma.Core.Tests.Data;

public sealed class TemporalSplitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("karma-split-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private SearchLog Write(string events)
    {
        File.WriteAllText(Path.Combine(_dir, "items.jsonl"), string.Join('\n',
            Enumerable.Range(0, 9).Select(i => $$"""{"item_id":"i{{i}}","title":"t{{i}}","category":"c"}""")) + "\n");
        File.WriteAllText(Path.Combine(_dir, "events.csv"), "user_id,item_id,timestamp,action,query,request_id\n" + events);
        return SearchLog.Load(_dir);
    }

    [Fact]
    public void HoldsOutLastTwoRequests_AndDropsTheirOtherEngagements()
    {
        var log = Write("""
            u,i0,1,click,q,r1
            u,i1,2,click,q,r2
            u,i2,2,click,q,r2
            u,i3,3,impression,q,r3
            u,i4,3,click,q,r3
            u,i5,3,click,q,r3
            u,i6,4,click,q,r4
            u,i7,4,click,q,r4
            """.Replace("    ", "", StringComparison.Ordinal));
        var split = TemporalSplit.Build(log, maxHistory: 10);
        Assert.Equal(["i0", "i1", "i2"], split.Train.Select(e => log.Items[e.Target].ItemId));
        var validation = Assert.Single(split.Validation);
        Assert.Equal("i5", log.Items[validation.Target].ItemId);
        var test = Assert.Single(split.Test);
        Assert.Equal("i7", log.Items[test.Target].ItemId);
        Assert.Equal(["i0", "i1", "i2", "i4", "i5"], test.History.Select(i => log.Items[i].ItemId));
        Assert.Equal(["i3"], validation.HardNegatives.Select(i => log.Items[i].ItemId));
        Assert.True(split.IsCold(log.ItemIndex["i7"]));
        Assert.False(split.IsCold(log.ItemIndex["i1"]));
    }

    [Fact]
    public void TwoRequests_GiveTrainAndTest_OneRequestOnlyTrain()
    {
        var log = Write("a,i0,1,click,q,r1\na,i1,2,click,q,r2\nb,i2,1,click,q,r3\nb,i3,1,click,q,r3\n");
        var split = TemporalSplit.Build(log, maxHistory: 10);
        Assert.Equal(3, split.Train.Count);
        Assert.Empty(split.Validation);
        Assert.Equal("i1", log.Items[Assert.Single(split.Test).Target].ItemId);
    }

    [Fact]
    public void History_KeepsTheMostRecentItems()
    {
        var log = Write(string.Concat(Enumerable.Range(0, 6).Select(i => $"u,i{i},{i},click,q,r{i}\n")));
        var split = TemporalSplit.Build(log, maxHistory: 2);
        Assert.Equal(["i3", "i4"], Assert.Single(split.Test).History.Select(i => log.Items[i].ItemId));
    }

    [Fact]
    public void TrainingPeriod_EndsAtTheFirstHeldOutRequest()
    {
        // Requests r1 (click), r2 (no click), r3 (validation), r4 (no click), r5 (test); user v has one request.
        var log = Write("""
            u,i0,1,click,alpha,r1
            u,i1,2,impression,beta,r2
            u,i2,3,click,gamma,r3
            u,i3,4,impression,delta,r4
            u,i4,5,click,epsilon,r5
            v,i5,1,click,zeta,r6
            """.Replace("    ", "", StringComparison.Ordinal));
        var split = TemporalSplit.Build(log, maxHistory: 10);
        Assert.Equal(["alpha", "beta", "zeta"], split.TrainingQueries(log));
        bool[] items = split.TrainingPeriodItems(log);
        Assert.Equal(["i0", "i1", "i5"], Enumerable.Range(0, log.Items.Count).Where(i => items[i]).Select(i => log.Items[i].ItemId));
        Assert.Equal(3, Enumerable.Range(0, log.Requests.Count).Count(split.InTrainingPeriod));
    }
}
