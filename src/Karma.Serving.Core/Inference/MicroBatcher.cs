using System.Threading.Channels;

namespace Karma.Serving.Core.Inference;

/// <summary>The batcher's queue is full; the caller should shed load (maps to RESOURCE_EXHAUSTED).</summary>
public sealed class QueueFullException : Exception
{
    /// <inheritdoc />
    public QueueFullException(string message) : base(message)
    {
    }

    /// <inheritdoc />
    public QueueFullException()
    {
    }

    /// <inheritdoc />
    public QueueFullException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>Sizes of the batches a <see cref="MicroBatcher{TIn,TOut}"/> ran (for metrics).</summary>
public interface IBatchObserver
{
    /// <summary>Called after each batch with its size and the queue depth left.</summary>
    void BatchRan(int size, int queueDepth);
}

/// <summary>
/// Dynamic micro-batching: concurrent callers enqueue single items; worker loops take the first waiting item,
/// gather more until <c>maxBatch</c> items or <c>maxDelay</c> have passed, and process them in one call
/// (one ONNX Runtime run instead of many). A bounded queue makes overload visible as
/// <see cref="QueueFullException"/> instead of unbounded latency. A caller that gives up (cancelled, deadline
/// passed) leaves the count at once, so it holds no place against <c>maxQueue</c>, and is dropped unrun when a
/// worker reaches it.
/// </summary>
public sealed class MicroBatcher<TIn, TOut> : IAsyncDisposable
{
    private readonly Func<IReadOnlyList<TIn>, TOut[]> _process;
    private readonly int _maxBatch;
    private readonly TimeSpan _maxDelay;
    private readonly Channel<Pending> _queue;
    private readonly Task[] _workers;
    private readonly IBatchObserver? _observer;
    private readonly int _maxQueue;
    private int _depth;

    /// <summary>A queued call; <see cref="Leave"/> takes it off the count exactly once (taken by a worker or given up).</summary>
    private sealed class Pending(TIn item, TaskCompletionSource<TOut> completion)
    {
        private int _left;

        public TIn Item { get; } = item;

        public TaskCompletionSource<TOut> Completion { get; } = completion;

        public bool Leave() => Interlocked.Exchange(ref _left, 1) == 0;
    }

    /// <summary>Starts <paramref name="workers"/> loops over a queue of at most <paramref name="maxQueue"/> items.</summary>
    public MicroBatcher(Func<IReadOnlyList<TIn>, TOut[]> process, int maxBatch, TimeSpan maxDelay, int maxQueue, int workers = 1,
        IBatchObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxQueue, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDelay, TimeSpan.Zero);
        _process = process;
        _maxBatch = maxBatch;
        _maxDelay = maxDelay;
        _observer = observer;
        _maxQueue = maxQueue;
        // Unbounded channel, bounded count: the count (live callers only) decides what is full; entries of callers
        // that gave up stay in the channel until a worker skips them.
        _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = workers == 1 });
        _workers = Enumerable.Range(0, workers).Select(_ => Task.Run(WorkAsync)).ToArray();
    }

    /// <summary>Items waiting to be batched.</summary>
    public int QueueDepth => Volatile.Read(ref _depth);

    /// <summary>Queues one item and waits for its result.</summary>
    public Task<TOut> EnqueueAsync(TIn item, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<TOut>(cancellationToken);
        }

        if (Interlocked.Increment(ref _depth) > _maxQueue)
        {
            Interlocked.Decrement(ref _depth);
            return Task.FromException<TOut>(new QueueFullException("the encode queue is full; retry later"));
        }

        var pending = new Pending(item, new TaskCompletionSource<TOut>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            Interlocked.Decrement(ref _depth);
            return Task.FromException<TOut>(new ObjectDisposedException(nameof(MicroBatcher<TIn, TOut>)));
        }

        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(static state =>
            {
                var (batcher, p) = ((MicroBatcher<TIn, TOut>, Pending))state!;
                if (p.Completion.TrySetCanceled() && p.Leave())
                {
                    Interlocked.Decrement(ref batcher._depth);
                }
            }, (this, pending));
            pending.Completion.Task.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
        }

        return pending.Completion.Task;
    }

    private async Task WorkAsync()
    {
        var batch = new List<Pending>(_maxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            if (!reader.TryRead(out var first))
            {
                continue;
            }

            Take(batch, first);
            if (_maxDelay > TimeSpan.Zero && batch.Count < _maxBatch)
            {
                using var window = new CancellationTokenSource(_maxDelay);
                try
                {
                    while (batch.Count < _maxBatch)
                    {
                        while (batch.Count < _maxBatch && reader.TryRead(out var next))
                        {
                            Take(batch, next);
                        }

                        if (batch.Count >= _maxBatch || !await reader.WaitToReadAsync(window.Token).ConfigureAwait(false))
                        {
                            break;
                        }
                    }
                }
                catch (OperationCanceledException) when (window.IsCancellationRequested)
                {
                    // The delay is over: run what we have.
                }
            }
            else
            {
                while (batch.Count < _maxBatch && reader.TryRead(out var next))
                {
                    Take(batch, next);
                }
            }

            Run(batch);
        }
    }

    private void Take(List<Pending> batch, Pending item)
    {
        if (item.Leave())
        {
            Interlocked.Decrement(ref _depth);
        }

        if (!item.Completion.Task.IsCompleted)
        {
            batch.Add(item); // a caller that gave up (cancelled) is dropped here
        }
    }

    private void Run(List<Pending> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        try
        {
            var results = _process(batch.Select(p => p.Item).ToList());
            if (results.Length != batch.Count)
            {
                throw new InvalidOperationException($"batch function returned {results.Length} results for {batch.Count} items");
            }

            for (int i = 0; i < batch.Count; i++)
            {
                batch[i].Completion.TrySetResult(results[i]);
            }
        }
        catch (Exception e)
        {
            foreach (var p in batch)
            {
                p.Completion.TrySetException(e);
            }
        }

        _observer?.BatchRan(batch.Count, QueueDepth);
    }

    /// <summary>Stops accepting items, finishes the queued ones, and waits for the workers.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
    }
}
