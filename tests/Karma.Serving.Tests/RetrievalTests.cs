using Grpc.Core;
using Grpc.Health.V1;
using Karma.Core.Package;
using Karma.Serving.Contracts.V1;
using Karma.Serving.Core.Indexing;

namespace Karma.Serving.Tests;

[CollectionDefinition(Name)]
public sealed class ServerGroup : ICollectionFixture<ServerFixture>
{
    public const string Name = "server";
}

[Collection(ServerGroup.Name)]
public sealed class RetrievalTests(ServerFixture server)
{
    private Retrieval.RetrievalClient Client => new(server.Channel);

    private static ItemCatalog Catalog { get; } = ItemCatalogFile.Read(Path.Combine(ServerFixture.ModelPath, ItemCatalogFile.FileName));

    private static UserContext Context(string query, params int[] rows)
    {
        var c = new UserContext { Query = query };
        c.HistoryItemIds.AddRange(rows.Select(r => Catalog.Ids[r]));
        return c;
    }

    [Fact]
    public async Task Health_IsServing_ForTheServiceAndTheServer()
    {
        var health = new Health.HealthClient(server.Channel);
        foreach (string name in new[] { "", "karma.v1.Retrieval" })
        {
            var r = await health.CheckAsync(new HealthCheckRequest { Service = name });
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, r.Status);
        }

        Assert.Equal(System.Net.HttpStatusCode.OK, (await server.Http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await server.Http.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task ListItems_PagesThroughTheWholeCatalog_InTableOrder()
    {
        var seen = new List<CatalogItem>();
        string token = string.Empty;
        int pages = 0;
        do
        {
            var page = await Client.ListItemsAsync(new ListItemsRequest { PageSize = 1500, PageToken = token });
            Assert.Equal(Catalog.Count, page.TotalItems);
            Assert.StartsWith("karma-", page.ModelVersion, StringComparison.Ordinal);
            Assert.True(page.Items.Count <= 1500);
            seen.AddRange(page.Items);
            token = page.NextPageToken;
            pages++;
        }
        while (token.Length > 0);

        Assert.Equal((Catalog.Count + 1499) / 1500, pages);
        Assert.Equal(Catalog.Ids, seen.Select(i => i.ItemId));
        Assert.Equal(Catalog.Categories, seen.Select(i => i.Category));
        Assert.Equal(Catalog.Titles.Select(t => t ?? string.Empty), seen.Select(i => i.Title));
        Assert.Equal(1000, (await Client.ListItemsAsync(new ListItemsRequest())).Items.Count);
    }

    [Theory]
    [InlineData(-1, "", StatusCode.InvalidArgument, "page_size")]
    [InlineData(10_001, "", StatusCode.InvalidArgument, "page_size")]
    [InlineData(10, "not-a-token", StatusCode.InvalidArgument, "page_token")]
    [InlineData(10, "OTk5OTk5OUBrYXJtYS14", StatusCode.InvalidArgument, "page_token")] // "9999999@karma-x": past the end
    [InlineData(10, "MTBAa2FybWEtb3RoZXI", StatusCode.FailedPrecondition, "karma-other")] // "10@karma-other": another version
    public async Task ListItems_RefusesBadPagesNamingTheField(int size, string token, StatusCode code, string named)
    {
        var e = await Assert.ThrowsAsync<RpcException>(async () => await Client.ListItemsAsync(new ListItemsRequest { PageSize = size, PageToken = token }));
        Assert.Equal(code, e.StatusCode);
        Assert.Contains(named, e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Encode_ReturnsAUnitEmbedding_AndReportsTheContext()
    {
        var ctx = Context("red running shoes", 1, 2, 3);
        ctx.HistoryItemIds.Add("no-such-item");
        var r = await Client.EncodeAsync(new EncodeRequest { Context = ctx });
        Assert.Equal(64, r.Embedding.Values.Count);
        Assert.Equal(1.0, Math.Sqrt(r.Embedding.Values.Sum(v => (double)v * v)), 4);
        Assert.Equal(1, r.ContextReport.UnknownHistoryItems);
        Assert.True(r.ContextReport.QueryTokens > 0);
        Assert.StartsWith("karma-", r.ModelVersion, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recall_EqualsBruteForceOverTheTable()
    {
        var encoded = await Client.EncodeAsync(new EncodeRequest { Context = Context("lamp", 10, 20) });
        var recall = await Client.RecallAsync(new RecallRequest { Embedding = encoded.Embedding, K = 200 });
        using var table = VectorTable.Open(Path.Combine(ServerFixture.ModelPath, "item_embeddings.bin"));
        var expected = ExactIndex.BruteForce(table.AsSpan(), table.Cols, encoded.Embedding.Values.ToArray(), 200, null);
        Assert.Equal(expected.Select(h => Catalog.Ids[h.Row]), recall.Items.Select(i => i.ItemId));
        Assert.All(expected.Zip(recall.Items), p => Assert.True(Math.Abs(p.First.Score - p.Second.Score) < 1e-4));
        Assert.Equal("exact", recall.Index);
    }

    [Fact]
    public async Task Search_ReturnsTopNByPreRankScore()
    {
        var r = await Client.SearchAsync(new SearchRequest { Context = Context("mug", 5, 6, 7), RecallK = 300, TopN = 25 });
        Assert.Equal(25, r.Items.Count);
        Assert.True(r.Items.Zip(r.Items.Skip(1)).All(p => p.First.Score >= p.Second.Score));
        Assert.Equal(25, r.Items.Select(i => i.ItemId).Distinct().Count());
        // Each channel contributes its share of recall_k; the fused set is their union.
        Assert.Equal(["category", "karma", "lexical"], r.RecalledByChannel.Keys.Order(StringComparer.Ordinal));
        Assert.InRange(r.Recalled, r.RecalledByChannel.Values.Max(), Math.Min(300, r.RecalledByChannel.Values.Sum()));
        Assert.All(r.Items, i => Assert.Equal(Catalog.Titles[Catalog.RowOf(i.ItemId)], i.Title));
        Assert.All(r.Items, i => Assert.NotEmpty(i.Channels));
    }

    [Fact]
    public async Task Recall_NamedChannels_ReturnThatChannelsItems()
    {
        var lexical = new RecallRequest { Context = Context("lamp", 10), K = 20 };
        lexical.Channels.Add(RecallChannel.Lexical);
        var byWords = await Client.RecallAsync(lexical);
        Assert.Equal(20, byWords.Items.Count);
        Assert.All(byWords.Items, i => Assert.Equal([RecallChannel.Lexical], i.Channels));
        Assert.True(byWords.Items.Zip(byWords.Items.Skip(1)).All(p => p.First.Score >= p.Second.Score));
        Assert.Contains(byWords.Items, i => i.Title.Contains("lamp", StringComparison.OrdinalIgnoreCase));

        var category = new RecallRequest { Context = Context("lamp", 10), K = 20 };
        category.Channels.Add(RecallChannel.Category);
        var byCategory = await Client.RecallAsync(category);
        Assert.Equal(20, byCategory.Items.Count);
        Assert.All(byCategory.Items, i => Assert.Equal([RecallChannel.Category], i.Channels));

        var all = new RecallRequest { Context = Context("lamp", 10), K = 30 };
        all.Channels.AddRange([RecallChannel.Karma, RecallChannel.Lexical, RecallChannel.Category]);
        var fused = await Client.RecallAsync(all);
        Assert.Equal(30, fused.Items.Count);
        Assert.Equal(30, fused.Items.Select(i => i.ItemId).Distinct().Count());
        Assert.Contains(fused.Items, i => i.Channels.Count > 1); // found by several channels, merged once
        Assert.True(fused.Items.Zip(fused.Items.Skip(1)).All(p => p.First.Score >= p.Second.Score));
    }

    [Fact]
    public async Task PreRank_ScoresKnownCandidates_AndCountsUnknownOnes()
    {
        var request = new PreRankRequest { Context = Context("desk", 3), TopN = 2 };
        request.ItemIds.AddRange([Catalog.Ids[100], Catalog.Ids[200], Catalog.Ids[300], "ghost"]);
        var r = await Client.PreRankAsync(request);
        Assert.Equal(2, r.Items.Count);
        Assert.Equal(1, r.UnknownCandidates);
        Assert.True(r.Items[0].Score >= r.Items[1].Score);
    }

    [Fact]
    public async Task Filters_ApplyInsideTheSearch()
    {
        string top = Catalog.Categories[0].Split('/')[0];
        var filter = new Filter();
        filter.IncludeCategories.Add(top);
        var first = await Client.RecallAsync(new RecallRequest { Context = Context("shoes", 0, 1), K = 50, Filter = filter });
        Assert.Equal(50, first.Items.Count);
        Assert.All(first.Items, i => Assert.StartsWith(top + "/", i.Category, StringComparison.Ordinal));

        var exclude = new Filter();
        exclude.ExcludeItemIds.AddRange(first.Items.Take(10).Select(i => i.ItemId));
        exclude.IncludeCategories.Add(top);
        var second = await Client.RecallAsync(new RecallRequest { Context = Context("shoes", 0, 1), K = 50, Filter = exclude });
        Assert.Equal(50, second.Items.Count);
        Assert.Empty(second.Items.Select(i => i.ItemId).Intersect(exclude.ExcludeItemIds));
        Assert.Equal(first.Items.Skip(10).Select(i => i.ItemId), second.Items.Take(40).Select(i => i.ItemId));
    }

    public static TheoryData<string, string> BadRequests => new()
    {
        { "recall-k-zero", "k is 0" },
        { "recall-k-huge", "k is 100000" },
        { "recall-no-user", "one of context or embedding" },
        { "embedding-length", "embedding has 3 values" },
        { "embedding-nan", "embedding.values[1] is NaN" },
        { "empty-context", "context: history_item_ids and query are both empty" },
        { "unknown-history-only", "none of the 2 history item ids" },
        { "search-topn-over-recall", "top_n is 20" },
        { "search-no-context", "context is required" },
        { "huge-history", "context.history_item_ids has 6000 entries" },
        { "long-query", "context.query is 5000 characters" },
        { "prerank-empty", "item_ids is empty" },
        { "recall-lexical-no-query", "the lexical channel needs a context with a query" },
        { "recall-unknown-channel", "channels[1] is 9" },
        { "embedding-zero", "embedding is the zero vector" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequests_AreInvalidArgument_NamingTheField(string kind, string expected)
    {
        var c = Client;
        var nan = new Embedding();
        nan.Values.AddRange([0.1f, float.NaN, .. Enumerable.Repeat(0f, 62)]);
        var shortEmbedding = new Embedding();
        shortEmbedding.Values.AddRange([1f, 2f, 3f]);
        var huge = new UserContext();
        huge.HistoryItemIds.AddRange(Enumerable.Repeat(Catalog.Ids[0], 6000));
        var ghosts = new UserContext();
        ghosts.HistoryItemIds.AddRange(["ghost-1", "ghost-2"]);
        Func<Task> call = kind switch
        {
            "recall-k-zero" => async () => await c.RecallAsync(new RecallRequest { Context = Context("x", 1), K = 0 }),
            "recall-k-huge" => async () => await c.RecallAsync(new RecallRequest { Context = Context("x", 1), K = 100000 }),
            "recall-no-user" => async () => await c.RecallAsync(new RecallRequest { K = 5 }),
            "embedding-length" => async () => await c.RecallAsync(new RecallRequest { Embedding = shortEmbedding, K = 5 }),
            "embedding-nan" => async () => await c.RecallAsync(new RecallRequest { Embedding = nan, K = 5 }),
            "embedding-zero" => async () => await c.RecallAsync(new RecallRequest { Embedding = new Embedding { Values = { new float[64] } }, K = 5 }),
            "empty-context" => async () => await c.EncodeAsync(new EncodeRequest { Context = new UserContext() }),
            "unknown-history-only" => async () => await c.EncodeAsync(new EncodeRequest { Context = ghosts }),
            "search-topn-over-recall" => async () => await c.SearchAsync(new SearchRequest { Context = Context("x", 1), RecallK = 10, TopN = 20 }),
            "search-no-context" => async () => await c.SearchAsync(new SearchRequest { TopN = 5 }),
            "huge-history" => async () => await c.EncodeAsync(new EncodeRequest { Context = huge }),
            "long-query" => async () => await c.EncodeAsync(new EncodeRequest { Context = new UserContext { Query = new string('a', 5000) } }),
            "prerank-empty" => async () => await c.PreRankAsync(new PreRankRequest { Context = Context("x", 1) }),
            "recall-lexical-no-query" => async () => await c.RecallAsync(new RecallRequest { Context = Context("", 1), K = 5, Channels = { RecallChannel.Lexical } }),
            "recall-unknown-channel" => async () => await c.RecallAsync(new RecallRequest { Context = Context("x", 1), K = 5, Channels = { RecallChannel.Karma, (RecallChannel)9 } }),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var error = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(expected, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpiredDeadline_IsDeadlineExceeded()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.SearchAsync(
            new SearchRequest { Context = Context("x", 1), TopN = 5 }, deadline: DateTime.UtcNow.AddMilliseconds(-1)));
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task HugeFiniteEmbeddings_ScoreFinitely_AsTheirDirection()
    {
        var c = Client;
        var unit = (await c.EncodeAsync(new EncodeRequest { Context = Context("red shoes", 3, 5) })).Embedding;
        var scaled = new Embedding { Values = { unit.Values.Select(v => v * 3e37f) } };
        var alternating = new Embedding { Values = { Enumerable.Range(0, unit.Values.Count).Select(i => i % 2 == 0 ? 3e38f : -3e38f) } };
        var ones = new Embedding { Values = { Enumerable.Repeat(1e38f, unit.Values.Count) } };
        var reference = await c.RecallAsync(new RecallRequest { Embedding = unit, K = 50 });
        var fromScaled = await c.RecallAsync(new RecallRequest { Embedding = scaled, K = 50 });
        Assert.Equal(reference.Items.Select(i => i.ItemId), fromScaled.Items.Select(i => i.ItemId));
        foreach (var embedding in new[] { scaled, alternating, ones })
        {
            var recall = await c.RecallAsync(new RecallRequest { Embedding = embedding, K = 50 });
            Assert.Equal(50, recall.Items.Count);
            Assert.All(recall.Items, i => Assert.True(float.IsFinite(i.Score) && Math.Abs(i.Score) <= 1.01f, $"score {i.Score}"));
            var prerank = await c.PreRankAsync(new PreRankRequest { Embedding = embedding, ItemIds = { recall.Items.Select(i => i.ItemId) } });
            Assert.All(prerank.Items, i => Assert.True(float.IsFinite(i.Score), $"pre-rank score {i.Score}"));
        }
    }
}
