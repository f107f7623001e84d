namespace Karma.LoadTesting;

/// <summary>
/// Counts requests in flight and completes when the last one finishes after <see cref="SealAsync"/>: O(1) per
/// request, where keeping a list of tasks and pruning it cost O(in flight) per send (quadratic with thousands in flight).
/// </summary>
public sealed class InFlightCounter
{
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _inFlight;

    // One more than the requests in flight until sealed (the sender itself), so it cannot reach 0 before SealAsync.
    private long _pending = 1;
    private int _sealed;

    /// <summary>Requests started and not yet finished.</summary>
    public long Count => Interlocked.Read(ref _inFlight);

    /// <summary>One more request in flight.</summary>
    public void Add()
    {
        Interlocked.Increment(ref _pending);
        Interlocked.Increment(ref _inFlight);
    }

    /// <summary>One request finished.</summary>
    public void Done()
    {
        Interlocked.Decrement(ref _inFlight);
        Release();
    }

    /// <summary>No more requests will start; the returned task completes when those in flight have finished.</summary>
    public Task SealAsync()
    {
        if (Interlocked.Exchange(ref _sealed, 1) == 0)
        {
            Release();
        }

        return _drained.Task;
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _pending) == 0)
        {
            _drained.TrySetResult();
        }
    }
}
