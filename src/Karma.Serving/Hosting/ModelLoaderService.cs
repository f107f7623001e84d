using Karma.Serving.Configuration;
using Karma.Serving.Core.Distribution;
using Karma.Serving.Model;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Karma.Serving.Hosting;

/// <summary>
/// Loads the model in the background at start (health stays NOT_SERVING until it is warm). With
/// <c>Karma:PackageRedis</c> set, it loads the newest published package (falling back to <c>ModelPath</c>)
/// and then follows announcements: each new version is downloaded, verified and swapped in; a partial or
/// corrupt publication is rejected with a log line while the old version keeps serving.
/// </summary>
public sealed class ModelLoaderService(ModelHost host, IOptions<ServingOptions> options, ILogger<ModelLoaderService> logger,
    Core.Telemetry.KarmaTelemetry telemetry)
    : BackgroundService
{
    private readonly SemaphoreSlim _updates = new(1, 1);
    private ConnectionMultiplexer? _redis;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        RedisPackageStore? store = null;
        if (!string.IsNullOrWhiteSpace(o.PackageRedis))
        {
            var config = ConfigurationOptions.Parse(o.PackageRedis);
            config.AbortOnConnectFail = false;
            _redis = await ConnectionMultiplexer.ConnectAsync(config).ConfigureAwait(false);
            store = new RedisPackageStore(_redis);
        }

        try
        {
            string? latest = null;
            try
            {
                latest = store is null ? null : await store.LatestAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                HostLog.PublicationRejected(logger, "(latest)", "Redis unreachable at start, serving ModelPath: " + e.Message);
            }

            if (latest is null || !await FollowAsync(store!, latest, stoppingToken).ConfigureAwait(false))
            {
                await host.LoadAsync(null, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            HostLog.StartLoadFailed(logger, e);
        }

        if (store is not null)
        {
            await SubscribeAsync(store, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>Subscribes to announcements, retrying while Redis is unreachable (StackExchange.Redis reconnects by itself).</summary>
    private async Task SubscribeAsync(RedisPackageStore store, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _redis!.GetSubscriber().SubscribeAsync(RedisPackageStore.Announcements,
                    (channel, version) => { _ = FollowAsync(store, version.ToString(), stoppingToken); }).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Downloads, verifies and swaps in a published version; false (logged) when it is rejected.</summary>
    private async Task<bool> FollowAsync(RedisPackageStore store, string version, CancellationToken cancellationToken)
    {
        await _updates.WaitAsync(cancellationToken).ConfigureAwait(false);
        bool fetched = false;
        try
        {
            if (host.Current?.Package.Version == version)
            {
                return true;
            }

            string dir = await store.FetchAsync(version, options.Value.PackageCacheDir).ConfigureAwait(false);
            fetched = true;
            await host.LoadAsync(dir, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or RedisException or TimeoutException or UnauthorizedAccessException)
        {
            if (!fetched)
            {
                telemetry.ModelLoadFailed(); // a failed load is counted by ModelHost itself
            }

            HostLog.PublicationRejected(logger, version, e.Message);
            return false;
        }
        finally
        {
            _updates.Release();
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _redis?.Dispose();
        _updates.Dispose();
        base.Dispose();
    }
}

/// <summary>Readiness: a model is loaded and warmed, and the service is not shutting down.</summary>
public sealed class ModelReadyHealthCheck(ModelHost host, ShutdownDrain drain) : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
{
    /// <inheritdoc />
    public Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(drain.Draining
            ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("shutting down")
            : host.Current is { } m
                ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy($"serving {m.Package.Version}")
                : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("no model loaded yet"));
}
