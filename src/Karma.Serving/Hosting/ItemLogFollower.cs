using Karma.Serving.Configuration;
using Karma.Serving.Model;
using Microsoft.Extensions.Options;

namespace Karma.Serving.Hosting;

/// <summary>
/// Keeps the served model version at the item log's end: every <c>Karma:ItemLogPollMs</c> it applies what other
/// replicas (or this one's admin calls) appended. A log that cannot be read is retried each poll and logged once per
/// outage; the replica keeps serving what it has.
/// </summary>
public sealed class ItemLogFollower(ModelHost host, ItemLogReplayer replayer, IOptions<ServingOptions> options, ILogger<ItemLogFollower> logger)
    : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var poll = TimeSpan.FromMilliseconds(options.Value.ItemLogPollMs);
        bool failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(poll, stoppingToken).ConfigureAwait(false);
                using var lease = host.TryAcquire();
                if (lease is { } held)
                {
                    await replayer.CatchUpAsync(held.Model, stoppingToken).ConfigureAwait(false);
                    if (failing)
                    {
                        failing = false;
                        ItemLogMessages.Readable(logger, replayer.Log.Description, held.Model.Package.Version);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Whatever the log or an apply throws, the follower must live on: an exception leaving a hosted service
                // stops the whole host, and a replica that cannot follow should still serve what it has.
                if (!failing)
                {
                    failing = true;
                    ItemLogMessages.Unreadable(logger, replayer.Log.Description, e.Message);
                }
            }
        }
    }
}
