using System.Collections.Concurrent;
using Karma.Serving.Core.Inference;

namespace Karma.Serving.Core.Tests;

public sealed class MicroBatcherTests
{
    private sealed class Recorder : IBatchObserver
    {
        public ConcurrentQueue<int> Sizes { get; } = new();

        public void BatchRan(int size, int queueDepth) => Sizes.Enqueue(size);
    }

    /// <summary>A batcher of one item per batch whose function records what it ran and holds each run until the gate opens.</summary>
    private sealed class HeldBatcher : IAsyncDisposable
    {
        public HeldBatcher(int maxQueue) => Batcher = new MicroBatcher<int, int>(items =>
        {
            Started.TrySetResult();
            Gate.Wait(TimeSpan.FromSeconds(10));
            foreach (int i in items)
            {
                Seen.Add(i);
            }

            return [.. items];
        }, maxBatch: 1, maxDelay: TimeSpan.Zero, maxQueue: maxQueue);

        public MicroBatcher<int, int> Batcher { get; }

        public ManualResetEventSlim Gate { get; } = new(false);

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentBag<int> Seen { get; } = [];

        public async ValueTask DisposeAsync()
        {
            Gate.Set();
            await Batcher.DisposeAsync();
            Gate.Dispose();
        }
    }

    [Fact]
    public async Task ConcurrentCallers_AreBatched_AndEachGetsItsOwnResult()
    {
        var recorder = new Recorder();
        var gate = new ManualResetEventSlim(false);
        await using var batcher = new MicroBatcher<int, int>(items =>
        {
            gate.Wait(TimeSpan.FromSeconds(10)); // hold the first batch so the others queue up
            return items.Select(x => x * 10).ToArray();
        }, maxBatch: 16, maxDelay: TimeSpan.FromMilliseconds(20), maxQueue: 1000, observer: recorder);
        var tasks = Enumerable.Range(0, 100).Select(i => batcher.EnqueueAsync(i)).ToList();
        gate.Set();
        int[] results = await Task.WhenAll(tasks);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => i * 10), results);
        Assert.Equal(100, recorder.Sizes.Sum());
        Assert.True(recorder.Sizes.Max() > 1, "no batch had more than one item");
        Assert.True(recorder.Sizes.Max() <= 16);
    }

    [Fact]
    public async Task FullQueue_FailsFastWithQueueFull()
    {
        var gate = new ManualResetEventSlim(false);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var batcher = new MicroBatcher<int, int>(items =>
        {
            started.TrySetResult();
            gate.Wait(TimeSpan.FromSeconds(10));
            return [.. items];
        }, maxBatch: 1, maxDelay: TimeSpan.Zero, maxQueue: 2);
        var first = batcher.EnqueueAsync(1);
        await started.Task; // the worker has taken item 1 and is blocked in the gate: the queue is empty again
        var queued = new[] { batcher.EnqueueAsync(2), batcher.EnqueueAsync(3) };
        await Assert.ThrowsAsync<QueueFullException>(() => batcher.EnqueueAsync(4));
        gate.Set();
        Assert.Equal(1, await first);
        int[] rest = await Task.WhenAll(queued);
        Assert.Equal(new[] { 2, 3 }, rest);
    }

    [Fact]
    public async Task BatchFailure_FailsEveryCallerOfThatBatch_AndTheBatcherKeepsWorking()
    {
        await using var batcher = new MicroBatcher<int, int>(items =>
            items.Contains(13) ? throw new InvalidOperationException("bad batch") : [.. items],
            maxBatch: 1, maxDelay: TimeSpan.Zero, maxQueue: 10);
        await Assert.ThrowsAsync<InvalidOperationException>(() => batcher.EnqueueAsync(13));
        Assert.Equal(7, await batcher.EnqueueAsync(7));
    }

    [Fact]
    public async Task CancelledCaller_IsCancelled_AndSkipped()
    {
        await using var held = new HeldBatcher(maxQueue: 10);
        var (batcher, gate, started, seen) = (held.Batcher, held.Gate, held.Started, held.Seen);
        var first = batcher.EnqueueAsync(1);
        await started.Task;
        using var cts = new CancellationTokenSource();
        var cancelled = batcher.EnqueueAsync(2, cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        gate.Set();
        Assert.Equal(1, await first);
        Assert.Equal(3, await batcher.EnqueueAsync(3));
        Assert.DoesNotContain(2, seen);
    }

    [Fact]
    public async Task CallersThatGaveUp_LeaveTheQueueAtOnce_AndAreNeverRun()
    {
        await using var held = new HeldBatcher(maxQueue: 2);
        var (batcher, gate, started, seen) = (held.Batcher, held.Gate, held.Started, held.Seen);
        var first = batcher.EnqueueAsync(1);
        await started.Task; // the worker holds item 1; the queue is empty
        using var expired = new CancellationTokenSource();
        var gaveUp = new[] { batcher.EnqueueAsync(2, expired.Token), batcher.EnqueueAsync(3, expired.Token) };
        Assert.Equal(2, batcher.QueueDepth);
        await Assert.ThrowsAsync<QueueFullException>(() => batcher.EnqueueAsync(9));
        await expired.CancelAsync();
        Assert.Equal(0, batcher.QueueDepth);
        // Their places are free at once, before any worker reaches their entries.
        var live = new[] { batcher.EnqueueAsync(4), batcher.EnqueueAsync(5) };
        Assert.Equal(2, batcher.QueueDepth);
        await Assert.ThrowsAsync<QueueFullException>(() => batcher.EnqueueAsync(10));
        // Already expired when enqueued: refused without taking a place.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => batcher.EnqueueAsync(11, expired.Token));
        gate.Set();
        Assert.Equal(1, await first);
        Assert.Equal(new[] { 4, 5 }, await Task.WhenAll(live));
        foreach (var task in gaveUp)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        }

        Assert.Equal(0, batcher.QueueDepth);
        Assert.Equal(new[] { 1, 4, 5 }, seen.Order());
    }

    [Fact]
    public async Task Dispose_FinishesQueuedWork_ThenRejects()
    {
        var batcher = new MicroBatcher<int, int>(items => [.. items], maxBatch: 4, maxDelay: TimeSpan.FromMilliseconds(5), maxQueue: 10);
        var pending = batcher.EnqueueAsync(5);
        await batcher.DisposeAsync();
        Assert.Equal(5, await pending);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => batcher.EnqueueAsync(6));
    }
}
