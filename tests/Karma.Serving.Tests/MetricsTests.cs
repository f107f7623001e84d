using Grpc.Core;
using Karma.Core.Package;
using Karma.Serving.Contracts.V1;

namespace Karma.Serving.Tests;

// Its own server, alone: another host's meter disposed beside it would stop its metric streams (OwnServerGroup).
[Collection(OwnServerGroup.Name)]
public sealed class MetricsTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static double Sum(string exposition, string metric, params (string Label, string Value)[] labels) => Scrapes.Sum(exposition, metric, labels);

    private Task<string> ScrapeAsync() => Scrapes.ScrapeAsync(server.Http);

    [Fact]
    public async Task Metrics_CountStagesBatchesCallsAndModelVersion()
    {
        var catalog = ItemCatalogFile.Read(Path.Combine(ServerFixture.ModelPath, ItemCatalogFile.FileName));
        string before = await ScrapeAsync();
        var client = new Retrieval.RetrievalClient(server.Channel);
        for (int i = 0; i < 5; i++)
        {
            var ctx = new UserContext { Query = "shoes " + Guid.NewGuid().ToString("N")[..6] }; // unique: a cache miss, so encode runs
            ctx.HistoryItemIds.Add(catalog.Ids[i]);
            await client.SearchAsync(new SearchRequest { Context = ctx, RecallK = 100, TopN = 10 });
        }

        // The Prometheus exporter caches a scrape briefly; poll until the calls show up.
        string after = await Scrapes.ScrapeUntilAsync(server.Http, s => Sum(s, "karma_stage_duration_milliseconds_count", ("stage", "prerank"))
            >= Sum(before, "karma_stage_duration_milliseconds_count", ("stage", "prerank")) + 5);

        foreach (string stage in new[] { "encode", "recall", "prerank" })
        {
            double delta = Sum(after, "karma_stage_duration_milliseconds_count", ("stage", stage))
                - Sum(before, "karma_stage_duration_milliseconds_count", ("stage", stage));
            Assert.True(delta >= 5, $"stage {stage} counted {delta} new samples");
        }

        Assert.True(Sum(after, "karma_encode_batch_size_count") >= 5);
        foreach (string channel in new[] { "karma", "lexical", "category", "fused" })
        {
            double searches = Sum(after, "karma_search_candidates_count", ("channel", channel))
                - Sum(before, "karma_search_candidates_count", ("channel", channel));
            Assert.True(searches >= 5, $"channel {channel}: {searches} searches recorded");
        }

        Assert.True(Sum(after, "karma_search_candidates_sum", ("channel", "karma")) > 0);
        Assert.True(Sum(after, "karma_rpc_calls_total", ("status", "OK")) >= 5);
        Assert.Contains("karma_model_loaded{", after, StringComparison.Ordinal);
        Assert.Contains("model_version=\"karma-", after, StringComparison.Ordinal);
        Assert.Contains("# TYPE karma_encode_queue_depth gauge", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusedReload_CountsAModelLoadFailure()
    {
        var admin = new Admin.AdminClient(server.Channel);
        var auth = new Metadata { { "authorization", "Bearer " + ServerFixture.AdminToken } };
        string before = await ScrapeAsync();
        string dir = Directory.CreateDirectory(Path.Combine(server.ScratchRoot, "broken-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        try
        {
            await Assert.ThrowsAsync<RpcException>(async () => await admin.ReloadAsync(new ReloadRequest { PackagePath = dir }, auth));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }

        string after = await Scrapes.ScrapeUntilAsync(server.Http, s => Sum(s, "karma_model_load_failures_total") > Sum(before, "karma_model_load_failures_total"));

        Assert.True(Sum(after, "karma_model_load_failures_total") >= Sum(before, "karma_model_load_failures_total") + 1,
            "a refused reload was not counted in karma_model_load_failures_total:\n" + string.Join('\n', after.Split('\n').Where(l => l.Contains("karma_", StringComparison.Ordinal))));
    }
}
