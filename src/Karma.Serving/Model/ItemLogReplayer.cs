using Karma.Serving.Configuration;
using Karma.Serving.Core.Items;
using Karma.Serving.Core.Telemetry;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Karma.Serving.Model;

/// <summary>
/// This replica's side of the item log (<see cref="IItemLog"/>): the Redis stream <c>Karma:ItemLogStream</c> when
/// <c>Karma:PackageRedis</c> is set, else the file <c>Karma:ItemLogPath</c>. Appends changes for the admin surface and
/// brings a model version up to the log's end (<see cref="CatchUpAsync"/>): at load, before it serves, and from then
/// on whenever the follower polls or an admin call appended.
/// </summary>
public sealed class ItemLogReplayer : IAsyncDisposable
{
    /// <summary>Entries read per round trip while catching up.</summary>
    private const int ReadBatch = 500;

    private readonly SemaphoreSlim _catchUp = new(1, 1);
    private readonly ILogger<ItemLogReplayer> _logger;
    private readonly KarmaTelemetry _telemetry;
    private readonly ConnectionMultiplexer? _redis;

    /// <summary>Opens the configured log (a Redis connection is made in the background and retried by the client).</summary>
    public ItemLogReplayer(IOptions<ServingOptions> options, ILogger<ItemLogReplayer> logger, KarmaTelemetry telemetry)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options.Value;
        _logger = logger;
        _telemetry = telemetry;
        if (!string.IsNullOrWhiteSpace(o.PackageRedis))
        {
            var config = ConfigurationOptions.Parse(o.PackageRedis);
            config.AbortOnConnectFail = false;
            _redis = ConnectionMultiplexer.Connect(config);
            Log = new RedisItemLog(_redis, o.ItemLogStream);
        }
        else
        {
            Log = new FileItemLog(string.IsNullOrWhiteSpace(o.ItemLogPath) ? Path.Combine(o.PackageCacheDir, "item-log.jsonl") : o.ItemLogPath);
        }
    }

    /// <summary>The log.</summary>
    public IItemLog Log { get; }

    /// <summary>
    /// Applies every entry after the model's position to it, in rounds of a few hundred; returns the totals. Damaged
    /// entries are skipped with a warning, items the model cannot take are refused with one (the rest applies).
    /// </summary>
    public async Task<ApplyResult> CatchUpAsync(ServingModel model, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        await _catchUp.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            int added = 0, removed = 0, refused = 0, unknown = 0;
            var problems = new List<string>();
            while (true)
            {
                var entries = await Log.ReadAfterAsync(model.Items.Position, ReadBatch, cancellationToken).ConfigureAwait(false);
                if (entries.Count == 0)
                {
                    _telemetry.ItemLogUnapplied(null);
                    return new ApplyResult(added, removed, refused, unknown, problems);
                }

                _telemetry.ItemLogUnapplied(entries.Select(e => e.Change?.Time).FirstOrDefault(t => t is not null));
                var changes = new List<(string, ItemChange)>(entries.Count);
                foreach (var entry in entries)
                {
                    if (entry.Change is null)
                    {
                        _telemetry.ItemLogEntryDamaged();
                        ItemLogMessages.Damaged(_logger, Log.Description, entry.Problem ?? "unreadable");
                    }

                    // A damaged entry still moves the position on, as an empty change: nothing hangs on it.
                    changes.Add((entry.Position, entry.Change ?? ItemChange.Upsert([])));
                }

                var result = await Task.Run(() => model.Apply(changes), cancellationToken).ConfigureAwait(false);
                var now = DateTimeOffset.UtcNow;
                foreach (var entry in entries)
                {
                    if (entry.Change?.Time is { } time)
                    {
                        _telemetry.ItemEntryApplied(now - time);
                    }
                }

                foreach (string problem in result.Problems)
                {
                    ItemLogMessages.Refused(_logger, model.Package.Version, problem);
                }

                added += result.Added;
                removed += result.Removed;
                refused += result.Refused;
                unknown += result.UnknownRemoved;
                problems.AddRange(result.Problems);
                var items = model.Items;
                _telemetry.ItemsApplied(result.Added, result.Removed, result.Refused, items.AddedRows, items.Removed.Count);
            }
        }
        finally
        {
            _catchUp.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync().ConfigureAwait(false);
        }

        (Log as IDisposable)?.Dispose();
        _catchUp.Dispose();
    }
}

/// <summary>Source-generated log messages of the item log.</summary>
internal static partial class ItemLogMessages
{
    [LoggerMessage(EventId = 2201, Level = LogLevel.Warning, Message = "Item log {Log}: an entry was skipped: {Problem}")]
    public static partial void Damaged(ILogger logger, string log, string problem);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Warning, Message = "Model {Version} refused an item of the item log: {Problem}")]
    public static partial void Refused(ILogger logger, string version, string problem);

    [LoggerMessage(EventId = 2203, Level = LogLevel.Warning, Message = "Item log {Log} unreadable, retrying: {Reason}")]
    public static partial void Unreadable(ILogger logger, string log, string reason);

    [LoggerMessage(EventId = 2204, Level = LogLevel.Information, Message = "Item log {Log} readable again; model {Version} caught up")]
    public static partial void Readable(ILogger logger, string log, string version);

    [LoggerMessage(EventId = 2205, Level = LogLevel.Information,
        Message = "Model {Version} replayed the item log {Log}: {Added} items added, {Removed} removed, {Refused} refused")]
    public static partial void Replayed(ILogger logger, string version, string log, int added, int removed, int refused);
}
