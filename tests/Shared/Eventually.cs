namespace Karma.Tests.Shared;

/// <summary>Waiting in tests for something another component does in the background, with the reason when it never happens.</summary>
/// <remarks>
/// Timeouts default to 30 s, far above what a passing run needs, so a slow or shared machine does not fail a test; a
/// failing one says what it waited for.
/// </remarks>
internal static class Eventually
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with "<paramref name="reason"/> within N s" after <paramref name="timeout"/>.</summary>
    public static Task Holds(Func<Task<bool>> condition, string reason, TimeSpan? timeout = null)
        => Returns(condition, holds => holds, _ => reason, timeout);

    /// <summary>The blocking form of <see cref="Holds"/>, for constructors and other synchronous setup.</summary>
    public static void HoldsBlocking(Func<bool> condition, string reason, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var limit = timeout ?? DefaultTimeout;
        var until = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"{reason} within {limit.TotalSeconds:F0} s");
            }

            Thread.Sleep(DefaultInterval);
        }
    }

    /// <summary>
    /// Polls <paramref name="produce"/> until <paramref name="accept"/> holds for its value and returns that value; fails
    /// after <paramref name="timeout"/> with <paramref name="reason"/> of the last value (so the failure shows what was seen).
    /// </summary>
    public static async Task<T> Returns<T>(Func<Task<T>> produce, Func<T, bool> accept, Func<T, string> reason, TimeSpan? timeout = null,
        TimeSpan? every = null)
    {
        ArgumentNullException.ThrowIfNull(reason);
        var limit = timeout ?? DefaultTimeout;
        var (value, accepted) = await Poll(produce, accept, limit, every ?? DefaultInterval);
        return accepted ? value : throw new TimeoutException($"{reason(value)} within {limit.TotalSeconds:F0} s");
    }

    /// <summary>
    /// Polls <paramref name="produce"/> until <paramref name="accept"/> holds for its value, and returns the last value
    /// either way, for a caller whose own assertion explains a failure better (a whole metrics scrape, say).
    /// </summary>
    public static async Task<T> Last<T>(Func<Task<T>> produce, Func<T, bool> accept, TimeSpan? timeout = null, TimeSpan? every = null)
        => (await Poll(produce, accept, timeout ?? DefaultTimeout, every ?? DefaultInterval)).Value;

    private static async Task<(T Value, bool Accepted)> Poll<T>(Func<Task<T>> produce, Func<T, bool> accept, TimeSpan limit, TimeSpan every)
    {
        ArgumentNullException.ThrowIfNull(produce);
        ArgumentNullException.ThrowIfNull(accept);
        var until = DateTime.UtcNow + limit;
        while (true)
        {
            T value = await produce();
            if (accept(value))
            {
                return (value, true);
            }

            if (DateTime.UtcNow > until)
            {
                return (value, false);
            }

            await Task.Delay(every);
        }
    }
}
