namespace Karma.Tests.Shared;

/// <summary>Waiting in tests for something another component does in the background, with the reason when it never happens.</summary>
internal static class Eventually
{
    /// <summary>
    /// Polls <paramref name="condition"/> every 50 ms until it holds; fails with "<paramref name="reason"/> within N s"
    /// after <paramref name="timeout"/> (default 30 s, far above what a passing run needs, so a slow machine does not fail it).
    /// </summary>
    public static async Task Holds(Func<Task<bool>> condition, string reason, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        var until = DateTime.UtcNow + limit;
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"{reason} within {limit.TotalSeconds:F0} s");
            }

            await Task.Delay(50);
        }
    }
}
