using System.Globalization;
using Karma.Serving.Contracts.V1;
using Karma.Serving.Core.Inference;
using Karma.Serving.Model;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Karma.Serving.Tests;

/// <summary>A server with the given extra settings.</summary>
public sealed class ConfiguredServer(IEnumerable<KeyValuePair<string, string?>> settings) : ServerFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => settings;
}

/// <summary>
/// Three real servers on models/default: one caching in a real redis-server without authentication, one caching in
/// another with an HMAC key, and one without a cache, whose answers are the reference ("a fresh computation").
/// </summary>
public sealed class CacheIntegrityFixture : IAsyncLifetime
{
    public static readonly string HmacKey = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(255 - i)).ToArray());

    public RedisServer PlainRedis { get; } = new();
    public RedisServer KeyedRedis { get; } = new();
    public ServerFixture Plain { get; private set; } = null!;
    public ServerFixture Keyed { get; private set; } = null!;
    public ServerFixture Uncached { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Plain = new ConfiguredServer([new("Karma:CacheRedis", PlainRedis.Connection), new("Karma:CacheTimeoutMs", "200")]);
        Keyed = new ConfiguredServer([new("Karma:CacheRedis", KeyedRedis.Connection), new("Karma:CacheTimeoutMs", "200"),
            new("Karma:CacheHmacKey", HmacKey)]);
        Uncached = new ConfiguredServer([new("Karma:CacheTtlSeconds", "0")]);
        // One after the other: the machine's cores are shared.
        await Plain.InitializeAsync();
        await Keyed.InitializeAsync();
        await Uncached.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var server in new[] { Plain, Keyed, Uncached })
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }

        PlainRedis.Dispose();
        KeyedRedis.Dispose();
    }
}

/// <summary>
/// Issue 12 through the real host and a real Redis: a context cannot read another context's embedding, and whatever
/// sits in Redis under a key (poisoned values, forged or copied entries, hashes the provider cannot parse, another
/// Redis type) is a miss counted as <c>invalid</c>: every method answers OK, exactly as without a cache, and the cache
/// stays on for other contexts.
/// </summary>
[Collection(OwnServerGroup.Name)]
public sealed class CacheIntegrityTests(CacheIntegrityFixture f) : IClassFixture<CacheIntegrityFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static UserContext Context(string query, params string[] history)
    {
        var c = new UserContext { Query = query };
        c.HistoryItemIds.AddRange(history);
        return c;
    }

    private static Retrieval.RetrievalClient Client(ServerFixture server) => new(server.Channel);

    /// <summary>The key the server uses for a context, through its own encoder and the cache's public key function.</summary>
    private static string KeyOf(ServerFixture server, UserContext context)
    {
        using var lease = server.Services.GetRequiredService<ModelHost>().Acquire();
        var ((rows, tokens, text), _) = lease.Model.Encoder.Prepare(new UserContextInput(context.HistoryItemIds, context.Query));
        return UserEmbeddingCache.Key(lease.Model.Package.Version, rows, tokens, text);
    }

    /// <summary>Waits until the entry's data field exists and differs from <paramref name="not"/> (a background store landed).</summary>
    private static async Task<byte[]> EntryAsync(IDatabase db, string key, byte[]? not = null)
        => (await Eventually.Returns(
            async () => await db.KeyTypeAsync(key) == RedisType.Hash ? (byte[]?)await db.HashGetAsync(key, "data") : null,
            data => data is not null && (not is null || !data.AsSpan().SequenceEqual(not)),
            _ => "no new entry was stored", Patience, every: TimeSpan.FromMilliseconds(20)))!;

    private static async Task<double> InvalidAsync(ServerFixture server, double atLeast = 0) => (await ResultsAsync(server, "invalid", atLeast)).Value;

    /// <summary>
    /// karma_cache_requests_total for one result, polled until it reaches <paramref name="atLeast"/> (the Prometheus
    /// exporter serves a cached scrape for a moment), and the whole scrape it came from.
    /// </summary>
    private static async Task<(double Value, string Scrape)> ResultsAsync(ServerFixture server, string result, double atLeast = 0)
    {
        string scrape = await Eventually.Last(() => Scrapes.ScrapeAsync(server.Http), s => Count(s, result) >= atLeast, Patience,
            every: TimeSpan.FromMilliseconds(250));
        return (Count(scrape, result), scrape);
    }

    private static double Count(string scrape, string result) => Scrapes.Sum(scrape, "karma_cache_requests_total", ("result", result));

    private static void SameEmbedding(Embedding expected, Embedding actual)
    {
        Assert.Equal(expected.Values.Count, actual.Values.Count);
        Assert.All(expected.Values.Zip(actual.Values), p => Assert.True(Math.Abs(p.First - p.Second) < 1e-6, $"{p.First} vs {p.Second}"));
    }

    private static void SameItems(IEnumerable<ScoredItem> expected, IEnumerable<ScoredItem> actual)
    {
        var e = expected.ToList();
        var a = actual.ToList();
        Assert.NotEmpty(e);
        Assert.Equal(e.Select(i => i.ItemId), a.Select(i => i.ItemId));
        Assert.All(e.Zip(a), p => Assert.True(Math.Abs(p.First.Score - p.Second.Score) < 1e-4, $"{p.First.Score} vs {p.Second.Score}"));
    }

    private static SearchRequest Search(UserContext context) => new() { Context = context, RecallK = 200, TopN = 20 };

    private static RecallRequest Recall(UserContext context) => new() { Context = context, K = 100 };

    private static PreRankRequest PreRank(UserContext context)
    {
        var r = new PreRankRequest { Context = context, TopN = 10 };
        r.ItemIds.AddRange(Enumerable.Range(100, 40).Select(i => "i" + i.ToString("D4", CultureInfo.InvariantCulture)));
        return r;
    }

    /// <summary>What the server without a cache answers for a context: the reference every cached answer must equal.</summary>
    private async Task<(Embedding Embedding, RecallResponse Recall, PreRankResponse PreRank, SearchResponse Search)> TruthAsync(UserContext context)
    {
        var client = Client(f.Uncached);
        var encoded = await client.EncodeAsync(new EncodeRequest { Context = context });
        Assert.False(encoded.ContextReport.CacheHit);
        return (encoded.Embedding, await client.RecallAsync(Recall(context)), await client.PreRankAsync(PreRank(context)),
            await client.SearchAsync(Search(context)));
    }

    /// <summary>
    /// Calls each of the four methods for the context with <paramref name="poison"/> applied to Redis before the call,
    /// and after it waits until the miss's background store has replaced the poison (<paramref name="healed"/>), so no
    /// call can be served by the previous call's fresh entry. Returns the number of calls.
    /// </summary>
    private async Task<int> EveryMethodIsAMissWithTheTruthAsync(ServerFixture server, UserContext context, Func<Task> poison,
        Func<Task> healed)
    {
        var client = Client(server);
        var truth = await TruthAsync(context);
        int calls = 0;

        await poison();
        var encoded = await client.EncodeAsync(new EncodeRequest { Context = context });
        Assert.False(encoded.ContextReport.CacheHit);
        SameEmbedding(truth.Embedding, encoded.Embedding);
        calls++;
        await healed();

        await poison();
        var recalled = await client.RecallAsync(Recall(context));
        Assert.False(recalled.ContextReport.CacheHit);
        SameItems(truth.Recall.Items, recalled.Items);
        calls++;
        await healed();

        await poison();
        var ranked = await client.PreRankAsync(PreRank(context));
        Assert.False(ranked.ContextReport.CacheHit);
        SameItems(truth.PreRank.Items, ranked.Items);
        calls++;
        await healed();

        await poison();
        var searched = await client.SearchAsync(Search(context));
        Assert.False(searched.ContextReport.CacheHit);
        SameItems(truth.Search.Items, searched.Items);
        calls++;
        await healed();
        return calls;
    }

    [Fact]
    public async Task IdContainingTheOldSeparator_DoesNotPoisonTheContextItCollidedWith()
    {
        var client = Client(f.Plain);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(f.PlainRedis.Connection);
        var db = redis.GetDatabase();
        const string query = "wool hiking socks";
        var joined = Context(query, "i0001\u001fi0002\u001fi0003");
        var separate = Context(query, "i0001", "i0002", "i0003");

        var first = await client.EncodeAsync(new EncodeRequest { Context = joined });
        Assert.False(first.ContextReport.CacheHit);
        Assert.Equal(1, first.ContextReport.UnknownHistoryItems);
        await EntryAsync(db, KeyOf(f.Plain, joined));
        // The unknown id is not part of what the encoder consumes: the query alone reads the same (correct) entry.
        var queryOnly = await client.EncodeAsync(new EncodeRequest { Context = Context(query) });
        Assert.True(queryOnly.ContextReport.CacheHit);
        SameEmbedding(first.Embedding, queryOnly.Embedding);

        var second = await client.EncodeAsync(new EncodeRequest { Context = separate });
        Assert.False(second.ContextReport.CacheHit);
        var truth = await TruthAsync(separate);
        SameEmbedding(truth.Embedding, second.Embedding);
        Assert.NotEqual(first.Embedding.Values, second.Embedding.Values);

        // Search for the second context, before and after its own entry is stored, equals the uncached server's.
        SameItems(truth.Search.Items, (await client.SearchAsync(Search(separate))).Items);
        await EntryAsync(db, KeyOf(f.Plain, separate));
        var cached = await client.SearchAsync(Search(separate));
        Assert.True(cached.ContextReport.CacheHit);
        SameItems(truth.Search.Items, cached.Items);
    }

    [Fact]
    public async Task PoisonedValues_AreInvalidMisses_AndEveryMethodAnswersAsWithoutACache()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(f.PlainRedis.Connection);
        var db = redis.GetDatabase();
        var context = Context("leather ankle boots", "i0010", "i0011", "i0012");
        string key = KeyOf(f.Plain, context);
        var truth = await TruthAsync(context);
        Assert.False((await Client(f.Plain).EncodeAsync(new EncodeRequest { Context = context })).ContextReport.CacheHit);
        byte[] good = await EntryAsync(db, key);
        float[] unit = truth.Embedding.Values.ToArray();

        var poisons = new (string Name, byte[] Value)[]
        {
            ("64 NaN in the format before issue 12 (raw floats)", Enumerable.Repeat(float.NaN, 64).SelectMany(BitConverter.GetBytes).ToArray()),
            ("64 NaN with a valid header", CachedEmbedding.Encode(key, Enumerable.Repeat(float.NaN, 64).ToArray(), [])),
            ("63 values", CachedEmbedding.Encode(key, unit.AsSpan(0, 63), [])),
            ("the good entry less its last byte", good[..^1]),
            ("the right vector times 5 (norm 5)", CachedEmbedding.Encode(key, unit.Select(x => x * 5).ToArray(), [])),
        };
        double before = await InvalidAsync(f.Plain);
        int calls = 0;
        foreach (var (name, value) in poisons)
        {
            var failure = await Record.ExceptionAsync(async () => calls += await EveryMethodIsAMissWithTheTruthAsync(f.Plain, context,
                () => db.HashSetAsync(key, "data", value), () => EntryAsync(db, key, not: value)));
            Assert.True(failure is null, $"{name}: {failure}");
        }

        Assert.True(await InvalidAsync(f.Plain, before + calls) >= before + calls, $"result=\"invalid\" did not rise by {calls}");
        // The last miss stored the right entry again: a hit with the right embedding.
        await EntryAsync(db, key, not: poisons[^1].Value);
        var hit = await Client(f.Plain).EncodeAsync(new EncodeRequest { Context = context });
        Assert.True(hit.ContextReport.CacheHit);
        SameEmbedding(truth.Embedding, hit.Embedding);
    }

    [Fact]
    public async Task WithAnHmacKey_ForgedAndCopiedEntries_AreInvalidMisses()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(f.KeyedRedis.Connection);
        var db = redis.GetDatabase();
        var client = Client(f.Keyed);
        var victim = Context("linen summer dress", "i0020", "i0021");
        var other = Context("espresso cups", "i0030");
        string key = KeyOf(f.Keyed, victim);
        string otherKey = KeyOf(f.Keyed, other);
        await client.EncodeAsync(new EncodeRequest { Context = other });
        byte[] otherEntry = await EntryAsync(db, otherKey);
        Assert.Equal(CachedEmbedding.Length(64, tagged: true), otherEntry.Length);

        var random = CachedEmbeddingTests.UnitVector(42);
        byte[] wrongSecret = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var poisons = new (string Name, byte[] Value)[]
        {
            ("a random unit vector, untagged", CachedEmbedding.Encode(key, random, [])),
            ("a random unit vector tagged with another secret", CachedEmbedding.Encode(key, random, wrongSecret)),
            ("another context's valid entry, copied", otherEntry),
        };
        double before = await InvalidAsync(f.Keyed);
        int calls = 0;
        foreach (var (name, value) in poisons)
        {
            var failure = await Record.ExceptionAsync(async () => calls += await EveryMethodIsAMissWithTheTruthAsync(f.Keyed, victim,
                () => db.HashSetAsync(key, "data", value), () => EntryAsync(db, key, not: value)));
            Assert.True(failure is null, $"{name}: {failure}");
        }

        Assert.True(await InvalidAsync(f.Keyed, before + calls) >= before + calls, $"result=\"invalid\" did not rise by {calls}");
        // Entries the keyed server wrote itself are hits.
        var hit = await client.EncodeAsync(new EncodeRequest { Context = other });
        Assert.True(hit.ContextReport.CacheHit);
    }

    [Fact]
    public async Task EntriesTheRedisProviderCannotRead_AreInvalidMisses_ForAllFourMethods_AndTheCacheStaysOn()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(f.PlainRedis.Connection);
        var db = redis.GetDatabase();
        var client = Client(f.Plain);
        var poisoned = Context("ceramic table lamp", "i0040", "i0041");
        var healthy = Context("steel water bottle", "i0050");
        string key = KeyOf(f.Plain, poisoned);
        await client.EncodeAsync(new EncodeRequest { Context = poisoned });
        await EntryAsync(db, key);
        await client.EncodeAsync(new EncodeRequest { Context = healthy });
        await EntryAsync(db, KeyOf(f.Plain, healthy));
        Assert.True((await client.EncodeAsync(new EncodeRequest { Context = healthy })).ContextReport.CacheHit);

        var (invalidBefore, scrape) = await ResultsAsync(f.Plain, "invalid");
        double errorsBefore = Count(scrape, "error");

        // A non-numeric absolute expiration in the provider's hash; each miss stores the entry again, which repairs it.
        int calls = await EveryMethodIsAMissWithTheTruthAsync(f.Plain, poisoned,
            () => db.HashSetAsync(key, "absexp", "not-a-number"),
            () => Eventually.Holds(async () => long.TryParse((string?)await db.HashGetAsync(key, "absexp"), CultureInfo.InvariantCulture, out _),
                "the entry was not stored again", Patience));

        // The key holding another Redis type (WRONGTYPE on every read and write: nothing repairs it), read more often
        // than the circuit breaker's minimum throughput in a row.
        await db.KeyDeleteAsync(key);
        await db.StringSetAsync(key, "not a hash");
        for (int i = 0; i < 12; i++)
        {
            var r = await client.EncodeAsync(new EncodeRequest { Context = poisoned });
            Assert.False(r.ContextReport.CacheHit);
            calls++;
        }

        // The breaker stayed closed: another context still hits at once.
        Assert.True((await client.EncodeAsync(new EncodeRequest { Context = healthy })).ContextReport.CacheHit);
        var (invalidAfter, after) = await ResultsAsync(f.Plain, "invalid", invalidBefore + calls);
        Assert.True(invalidAfter >= invalidBefore + calls, $"result=\"invalid\" rose by {invalidAfter - invalidBefore}, expected {calls}");
        Assert.Equal(errorsBefore, Count(after, "error"));
    }
}

/// <summary>A bad <c>Karma:CacheHmacKey</c> stops the service at start, naming the setting and not repeating the value.</summary>
[Collection(OwnServerGroup.Name)]
public sealed class CacheHmacKeyStartupTests
{
    [Theory]
    [InlineData("c2hvcnQta2V5")] // "short-key": 9 bytes
    [InlineData("not base64 at all!")]
    public async Task BadCacheHmacKey_IsRefusedAtStart(string value)
    {
        var error = await StartRefusal.ExpectAsync(("Karma:CacheHmacKey", value));
        Assert.Contains("Karma:CacheHmacKey", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(value, error.Message, StringComparison.Ordinal);
    }
}
