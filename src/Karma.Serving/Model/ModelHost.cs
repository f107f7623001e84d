using System.Runtime;
using Karma.Serving.Configuration;
using Microsoft.Extensions.Options;

namespace Karma.Serving.Model;

/// <summary>No model is loaded yet (maps to UNAVAILABLE).</summary>
public sealed class ModelUnavailableException : Exception
{
    /// <inheritdoc />
    public ModelUnavailableException() : base("no model is loaded yet")
    {
    }

    /// <inheritdoc />
    public ModelUnavailableException(string message) : base(message)
    {
    }

    /// <inheritdoc />
    public ModelUnavailableException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>
/// Holds the model version being served and swaps it atomically: a call leases the current version for its
/// whole duration, a swap publishes the new version at once, and the old one is disposed after its last
/// in-flight call, so no call fails or mixes versions.
/// </summary>
public sealed class ModelHost : IAsyncDisposable
{
    private readonly SemaphoreSlim _loading = new(1, 1);
    private readonly ServingOptions _options;
    private readonly ILogger<ModelHost> _logger;
    private readonly Core.Telemetry.KarmaTelemetry _telemetry;
    private readonly ItemLogReplayer _items;
    private ServingModel? _current;

    /// <summary>Creates the host (no model until <see cref="LoadAsync"/>).</summary>
    public ModelHost(IOptions<ServingOptions> options, ILogger<ModelHost> logger, Core.Telemetry.KarmaTelemetry telemetry, ItemLogReplayer items)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
        _telemetry = telemetry;
        _items = items;
    }

    /// <summary>The version being served, or null before the first load.</summary>
    public ServingModel? Current => Volatile.Read(ref _current);

    /// <summary>Package path of the version being served (or the configured one).</summary>
    public string PackagePath => Current?.Package.Directory ?? _options.ModelPath;

    /// <summary>Leases the current version for one call.</summary>
    public ModelLease Acquire()
    {
        while (true)
        {
            var model = Volatile.Read(ref _current) ?? throw new ModelUnavailableException();
            if (model.TryAcquire())
            {
                return new ModelLease(model);
            }
        }
    }

    /// <summary>Leases the current version, or returns null when none is loaded yet.</summary>
    public ModelLease? TryAcquire()
    {
        while (Volatile.Read(ref _current) is { } model)
        {
            if (model.TryAcquire())
            {
                return new ModelLease(model);
            }
        }

        return null;
    }

    /// <summary>
    /// Loads, verifies and warms a package, brings it to the item log's end (so a new version serves the items added
    /// since its package, embedded by its own item tower), then swaps it in; returns the previous version string.
    /// </summary>
    public async Task<string?> LoadAsync(string? path, CancellationToken cancellationToken)
    {
        string target = ResolvePackagePath(string.IsNullOrWhiteSpace(path) ? _options.ModelPath : path);
        await _loading.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ServingModel model;
            try
            {
                model = await Task.Run(() =>
                {
                    var loaded = ServingModel.Load(target, _options, _logger, _telemetry);
                    if (Current is null)
                    {
                        // The first load of a large catalog leaves hundreds of MB of temporaries (1M items: ~9 gen-2
                        // collections during load). Collect them before the process takes traffic, instead of in a
                        // 100+ ms pause in its first seconds of serving (seen in the 1M-item load test). Not on a
                        // reload: a blocking full collection would pause the version that is serving.
                        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
                        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
                    }

                    return loaded;
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _telemetry.ModelLoadFailed();
                throw;
            }

            await ReplayItemLogAsync(model, cancellationToken).ConfigureAwait(false);
            var old = Interlocked.Exchange(ref _current, model);
            _telemetry.ModelLoaded(model.Package.Version, model.Drift, model.Words);
            old?.Retire();
            HostLog.Swapped(_logger, old?.Package.Version ?? "(none)", model.Package.Version, model.Index.Kind);
            return old?.Package.Version;
        }
        finally
        {
            _loading.Release();
        }
    }

    /// <summary>
    /// Applies the item log to a freshly loaded version. A log that cannot be read does not stop the version from
    /// serving: it starts with its package's items and the follower catches up once the log is back (logged).
    /// </summary>
    private async Task ReplayItemLogAsync(ServingModel model, CancellationToken cancellationToken)
    {
        try
        {
            var result = await _items.CatchUpAsync(model, cancellationToken).ConfigureAwait(false);
            _telemetry.ItemDelta(model.Items.AddedRows, model.Items.Removed.Count);
            if (result.Added + result.Removed + result.Refused > 0)
            {
                ItemLogMessages.Replayed(_logger, model.Package.Version, _items.Log.Description, result.Added, result.Removed, result.Refused);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever the log throws (its store down, a damaged file, an item tower failure), the version still serves.
            ItemLogMessages.Unreadable(_logger, _items.Log.Description, e.Message);
        }
    }

    /// <summary>
    /// An absolute path as given; a relative one against the working directory, or else against its nearest
    /// ancestor that has it (so <c>dotnet run --project src/Karma.Serving</c>, whose working directory is the
    /// project folder, finds the repository's <c>models/default</c>).
    /// </summary>
    public static string ResolvePackagePath(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (Path.IsPathRooted(path))
        {
            return path;
        }

        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, path);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return Path.GetFullPath(path);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        var model = Interlocked.Exchange(ref _current, null);
        if (model is not null)
        {
            await model.DisposeAsync().ConfigureAwait(false);
        }

        _loading.Dispose();
    }
}

/// <summary>A call's hold on one model version.</summary>
public readonly struct ModelLease : IDisposable
{
    internal ModelLease(ServingModel model) => Model = model;

    /// <summary>The leased version.</summary>
    public ServingModel Model { get; }

    /// <inheritdoc />
    public void Dispose() => Model?.Release();
}

/// <summary>Source-generated log messages of the host.</summary>
internal static partial class HostLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Serving model {New} (was {Old}), index {Index}")]
    public static partial void Swapped(ILogger logger, string old, string @new, string index);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Loading the model at start failed; the service stays NOT_SERVING")]
    public static partial void StartLoadFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "Published package {Version} rejected, the current version keeps serving: {Reason}")]
    public static partial void PublicationRejected(ILogger logger, string version, string reason);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Unhandled error in {Method}")]
    public static partial void Unhandled(ILogger logger, Exception error, string method);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information,
        Message = "Shutting down: readiness NOT_SERVING, still serving for {DrainSeconds} s, then draining in-flight calls (at most {TimeoutSeconds} s in all)")]
    public static partial void Draining(ILogger logger, int drainSeconds, int timeoutSeconds);
}
