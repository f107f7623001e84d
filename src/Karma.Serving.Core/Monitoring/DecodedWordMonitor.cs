using System.Threading.Channels;
using Karma.Serving.Core.Inference;

namespace Karma.Serving.Core.Monitoring;

/// <summary>The decoded-word monitor's figures at one moment.</summary>
/// <param name="Divergence">Jensen–Shannon divergence (base 2) of the served interests' decoded words from the reference's.</param>
/// <param name="Decoded">Interests decoded so far (an interest whose decoding has no words counts, but adds nothing to the profile).</param>
/// <param name="Dropped">Sampled interests dropped because the decoder was busy.</param>
/// <param name="Failed">Decodings that failed (the monitor goes on; the figure says why it moves slowly).</param>
/// <param name="TopWords">The heaviest served words now, heaviest first, with their shares.</param>
public sealed record WordDriftFigures(double Divergence, long Decoded, long Dropped, long Failed, IReadOnlyList<(string Word, double Share)> TopWords);

/// <summary>
/// Decodes one served interest in <see cref="Every"/> with the package's decoder, off the request path (a bounded queue
/// read by one background task; when the decoder falls behind, samples are dropped, never waited for), and keeps a
/// running <see cref="DecodedWordProfile"/> to compare with the words the exporter decoded from held-out requests.
/// Decoding costs about one Explain call (16 small decoder runs), so one in 20 requests at 100 Search/s is a few
/// percent of one core. Thread-safe.
/// </summary>
public sealed class DecodedWordMonitor : IAsyncDisposable
{
    private readonly InterestDecoder _decoder;
    private readonly IReadOnlyDictionary<string, double> _reference;
    private readonly int _maxTokens;
    private readonly DecodedWordProfile _served;
    private readonly Lock _gate = new();
    // FullMode Wait with TryWrite: a full queue refuses the sample (counted as dropped) instead of blocking. DropWrite
    // would drop it too, but TryWrite then reports success, so the drops could not be counted.
    private readonly Channel<float[]> _queue = Channel.CreateBounded<float[]>(
        new BoundedChannelOptions(4) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
    private readonly Task _worker;
    private long _seen, _decoded, _dropped, _failed;

    /// <summary>Starts the monitor.</summary>
    /// <param name="decoder">The package's decoder.</param>
    /// <param name="reference">The exporter's word distribution of held-out requests.</param>
    /// <param name="every">Decode one interest in this many.</param>
    /// <param name="halfLife">Decoded interests after which one weighs half.</param>
    /// <param name="maxTokens">Longest decoded text.</param>
    public DecodedWordMonitor(InterestDecoder decoder, IReadOnlyDictionary<string, double> reference, int every, int halfLife, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentOutOfRangeException.ThrowIfLessThan(every, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(halfLife, 1);
        _decoder = decoder;
        _reference = reference;
        _maxTokens = maxTokens;
        Every = every;
        _served = new DecodedWordProfile(1 - Math.Pow(0.5, 1.0 / halfLife));
        _worker = Task.Run(WorkAsync);
    }

    /// <summary>One interest in this many is decoded.</summary>
    public int Every { get; }

    /// <summary>Offers a served interest; every <see cref="Every"/>-th is queued for decoding (never blocks).</summary>
    public void Offer(float[] interest)
    {
        if (Interlocked.Increment(ref _seen) % Every == 0 && !_queue.Writer.TryWrite(interest))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>The figures now.</summary>
    public WordDriftFigures Current()
    {
        Dictionary<string, double> served;
        long profiled;
        lock (_gate)
        {
            served = _served.Distribution();
            profiled = _served.Count;
        }

        var top = served.Where(kv => kv.Key != DecodedWordProfile.Other).OrderByDescending(kv => kv.Value).Take(10)
            .Select(kv => (kv.Key, kv.Value)).ToList();
        return new WordDriftFigures(profiled == 0 ? 0 : DecodedWordProfile.Divergence(served, _reference), Interlocked.Read(ref _decoded),
            Interlocked.Read(ref _dropped), Interlocked.Read(ref _failed), top);
    }

    private async Task WorkAsync()
    {
        await foreach (float[] interest in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            DecodedInterest decoded;
            try
            {
                decoded = _decoder.Decode(interest, _maxTokens, DecodedWordProfile.PerRequest);
            }
            catch (Exception e) when (e is Microsoft.ML.OnnxRuntime.OnnxRuntimeException or ArgumentException or ObjectDisposedException)
            {
                Interlocked.Increment(ref _failed);
                continue;
            }

            lock (_gate)
            {
                _served.Add(decoded);
            }

            Interlocked.Increment(ref _decoded);
        }
    }

    /// <summary>Stops taking samples and waits for the one being decoded (the decoder must outlive the monitor).</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _worker.ConfigureAwait(false);
    }
}
