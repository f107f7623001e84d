using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Karma.Serving.Configuration;
using Karma.Serving.Core.Telemetry;
using Karma.Serving.Model;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Karma.Serving.Tests;

/// <summary>The cache class over a fake <see cref="IDistributedCache"/>: what counts as a miss, invalid or error, and what opens the circuit.</summary>
public sealed class UserEmbeddingCacheTests : IDisposable
{
    private const int D = 64;
    private static readonly string HmacKey = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray());

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly KarmaTelemetry _telemetry;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _results = new();
    private readonly FakeCache _fake = new();
    private readonly ListLogger _log = new();
    private readonly ManualTime _time = new();

    public UserEmbeddingCacheTests()
    {
        _telemetry = new KarmaTelemetry(_services.GetRequiredService<IMeterFactory>());
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter == _telemetry.Meter && instrument.Name == "karma.cache.requests")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "result")
                {
                    _results.AddOrUpdate((string)tag.Value!, value, (_, v) => v + value);
                }
            }
        });
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _telemetry.Dispose();
        _services.Dispose();
    }

    private UserEmbeddingCache Cache(string hmacKey = "") => new(_fake, Options.Create(new ServingOptions
    {
        CacheTtlSeconds = 300, CacheTimeoutMs = 5000, CacheHmacKey = hmacKey,
    }), _telemetry, _log, _time);

    private long Count(string result) => _results.GetValueOrDefault(result);

    [Fact]
    public async Task Store_ThenGet_IsAHit_WithTheSameValues()
    {
        var cache = Cache();
        float[] v = CachedEmbeddingTests.UnitVector(1);
        Assert.Null(await cache.GetAsync("k", D));
        Assert.Equal(1, Count("miss"));
        cache.Store("k", v);
        await _fake.Stored("k");
        Assert.Equal(v, await cache.GetAsync("k", D));
        Assert.Equal(1, Count("hit"));
    }

    [Fact]
    public async Task NaNEntry_IsAnInvalidMiss()
    {
        var cache = Cache();
        _fake.Entries["k"] = CachedEmbedding.Encode("k", Enumerable.Repeat(float.NaN, D).ToArray(), []);
        Assert.Null(await cache.GetAsync("k", D));
        Assert.Equal(1, Count("invalid"));
        Assert.Equal(0, Count("hit") + Count("error"));
    }

    [Fact]
    public async Task WithAnHmacKey_AnUntaggedUnitVector_IsAnInvalidMiss_AndATaggedOneAHit()
    {
        var keyed = Cache(HmacKey);
        Assert.True(keyed.Authenticated);
        Cache().Store("k", CachedEmbeddingTests.UnitVector(2));
        await _fake.Stored("k");
        Assert.Null(await keyed.GetAsync("k", D));
        Assert.Equal(1, Count("invalid"));
        keyed.Store("k", CachedEmbeddingTests.UnitVector(2));
        await _fake.Stored("k", writes: 2);
        Assert.NotNull(await keyed.GetAsync("k", D));
        // The tagged value moved to another key does not verify there.
        _fake.Entries["other"] = _fake.Entries["k"];
        Assert.Null(await keyed.GetAsync("other", D));
        Assert.Equal(2, Count("invalid"));
    }

    public static TheoryData<string> EntryFailures => ["format", "cast", "wrongtype", "other"];

    private static Exception EntryFailure(string kind) => kind switch
    {
        "format" => new FormatException("absexp is not a number"),
        "cast" => new InvalidCastException("Unable to cast absexp"),
        "wrongtype" => new RedisServerException(RedisErrorKind.WrongType, CommandFlags.None, "WRONGTYPE Operation against a key holding the wrong kind of value"),
        _ => new InvalidOperationException("anything else the provider throws"),
    };

    [Theory]
    [MemberData(nameof(EntryFailures))]
    public async Task MalformedEntries_AreInvalidMisses_AndDoNotOpenTheCircuit(string kind)
    {
        var cache = Cache();
        cache.Store("healthy", CachedEmbeddingTests.UnitVector(3));
        await _fake.Stored("healthy");
        _fake.Failures["poisoned"] = EntryFailure(kind);
        for (int i = 0; i < 20; i++)
        {
            Assert.Null(await cache.GetAsync("poisoned", D));
        }

        Assert.Equal(20, Count("invalid"));
        Assert.Equal(20, _fake.Reads("poisoned")); // every lookup reached the cache: the circuit stayed closed
        Assert.NotNull(await cache.GetAsync("healthy", D));
        Assert.Equal(0, Count("error"));
    }

    [Fact]
    public async Task TransportFailures_AreErrors_AndOpenTheCircuit()
    {
        var cache = Cache();
        _fake.Failures["k"] = new RedisConnectionException(ConnectionFailureType.SocketFailure, CommandFlags.None, "no connection", null, CommandStatus.Unknown);
        for (int i = 0; i < 20; i++)
        {
            Assert.Null(await cache.GetAsync("k", D));
        }

        Assert.Equal(20, Count("error"));
        Assert.Equal(0, Count("invalid"));
        // Five failures (the minimum throughput, all failing) open the circuit; later lookups do not reach Redis.
        Assert.True(_fake.Reads("k") < 20, $"{_fake.Reads("k")} reads: the circuit did not open");
    }

    [Fact]
    public void Store_RefusesEmbeddingsThatWouldFailALookup()
    {
        var cache = Cache();
        cache.Store("nan", Enumerable.Repeat(float.NaN, D).ToArray());
        cache.Store("long", CachedEmbeddingTests.UnitVector(4).Select(x => x * 5).ToArray());
        Assert.Equal(0, _fake.Writes);
        Assert.Single(_log.Lines); // and says so, once per interval
    }

    [Fact]
    public async Task InvalidEntries_AreLoggedOncePerInterval_WithoutTheKeyOrAStackTrace()
    {
        var cache = Cache();
        string key = UserEmbeddingCache.Key("v", [1, 2], [3]);
        _fake.Entries[key] = new byte[10];
        for (int i = 0; i < 3; i++)
        {
            await cache.GetAsync(key, D);
        }

        var first = Assert.Single(_log.Lines);
        Assert.Equal(LogLevel.Warning, first.Level);
        Assert.Null(first.Exception);
        Assert.DoesNotContain(key, first.Message, StringComparison.Ordinal);
        Assert.Contains(key[^64..^48], first.Message, StringComparison.Ordinal);
        Assert.Contains("Header", first.Message, StringComparison.Ordinal);

        _time.Advance(TimeSpan.FromSeconds(61));
        _fake.Failures[key] = new FormatException("secret details of the entry");
        await cache.GetAsync(key, D);
        Assert.Equal(2, _log.Lines.Count);
        Assert.Contains("FormatException", _log.Lines[1].Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", _log.Lines[1].Message, StringComparison.Ordinal);
        Assert.Contains("2 more cache warnings suppressed", _log.Lines[1].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("AAAA")] // 3 bytes
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==")] // 31 bytes
    public void ShortOrMalformedHmacKeys_AreRefused(string value)
        => Assert.Null(ServingOptions.DecodeCacheHmacKey(value));

    [Fact]
    public void HmacKeys_EmptyMeansNone_And32BytesAreAccepted()
    {
        Assert.Empty(ServingOptions.DecodeCacheHmacKey("")!);
        Assert.Equal(32, ServingOptions.DecodeCacheHmacKey(HmacKey)!.Length);
        Assert.Equal(32, ServingOptions.DecodeCacheHmacKey(HmacKey + "\n")!.Length); // a secret file's trailing newline
    }

    /// <summary>An in-memory cache that can fail chosen keys and counts reads and writes.</summary>
    private sealed class FakeCache : IDistributedCache
    {
        private readonly ConcurrentDictionary<string, int> _reads = new();
        private readonly ConcurrentDictionary<string, int> _writes = new();

        public ConcurrentDictionary<string, byte[]> Entries { get; } = new();
        public ConcurrentDictionary<string, Exception> Failures { get; } = new();
        public int Writes => _writes.Values.Sum();

        public int Reads(string key) => _reads.GetValueOrDefault(key);

        /// <summary>Waits until the key has been written <paramref name="writes"/> times in all (stores run in the background).</summary>
        public Task Stored(string key, int writes = 1)
            => Eventually.Holds(() => Task.FromResult(_writes.GetValueOrDefault(key) >= writes), $"{key} was not stored {writes} times");

        public byte[]? Get(string key) => throw new NotSupportedException();

        public Task<byte[]?> GetAsync(string key, CancellationToken token = default)
        {
            _reads.AddOrUpdate(key, 1, (_, n) => n + 1);
            return Failures.TryGetValue(key, out var failure) ? Task.FromException<byte[]?>(failure) : Task.FromResult(Entries.GetValueOrDefault(key));
        }

        public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => throw new NotSupportedException();

        public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
        {
            Entries[key] = value;
            _writes.AddOrUpdate(key, 1, (_, n) => n + 1);
            return Task.CompletedTask;
        }

        public void Refresh(string key) => throw new NotSupportedException();

        public Task RefreshAsync(string key, CancellationToken token = default) => Task.CompletedTask;

        public void Remove(string key) => Entries.TryRemove(key, out _);

        public Task RemoveAsync(string key, CancellationToken token = default)
        {
            Remove(key);
            return Task.CompletedTask;
        }
    }

    /// <summary>A clock that moves only when told (the log rate limit's interval, without waiting for it).</summary>
    private sealed class ManualTime : TimeProvider
    {
        private long _ticks = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }

    private sealed record Line(LogLevel Level, string Message, Exception? Exception);

    private sealed class ListLogger : ILogger<UserEmbeddingCache>
    {
        public List<Line> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines)
            {
                Lines.Add(new Line(logLevel, formatter(state, exception), exception));
            }
        }
    }
}
