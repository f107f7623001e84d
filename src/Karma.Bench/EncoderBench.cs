using System.Diagnostics;
using System.Globalization;
using System.Text;
using Karma.Core.Package;
using Karma.Serving.Core.Inference;
using Karma.Serving.Core.Model;
using Microsoft.ML.OnnxRuntime;
using ScottPlot;

namespace Karma.Bench;

/// <summary>One batch size: bare ONNX Runtime session runs against the service's encoder on the same contexts.</summary>
/// <param name="Batch">Contexts per batch.</param>
/// <param name="PaddedSession">One session run over the whole batch padded to its longest sequence.</param>
/// <param name="RawSession">Session runs over the very sub-batches the encoder runs (<see cref="InterestEncoder.LengthGroups"/>), inputs prepared.</param>
/// <param name="Encoder"><see cref="InterestEncoder.Encode"/>: the same runs plus id lookup, tokenizing, gathering, tensors, output copy.</param>
/// <param name="RawItemsPerSecond">Contexts/s through the raw session runs, from their mean latency.</param>
/// <param name="EncoderItemsPerSecond">Contexts/s through the encoder, from its mean latency.</param>
/// <param name="OverheadPercent">Encoder over raw session runs at p50: the service's own cost.</param>
/// <param name="TextEncoder">
/// With a pretrained text encoder: one run of it over the batch's queries, cache bypassed (what the encoder adds when
/// every query is new; <see cref="Encoder"/> includes it only on cache misses). Null without one.
/// </param>
public sealed record EncoderBatchPoint(int Batch, LatencySummary PaddedSession, LatencySummary RawSession, LatencySummary Encoder,
    double RawItemsPerSecond, double EncoderItemsPerSecond, double OverheadPercent, LatencySummary? TextEncoder = null);

/// <summary>Closed-loop saturation through the micro-batcher at one max batch size.</summary>
public sealed record BatchingPoint(int MaxBatch, double MaxDelayMs, int Concurrency, int Workers, double Seconds, long Encodes,
    double EncodesPerSecond, double MeanBatch);

/// <summary>What <see cref="EncoderBench"/> measured.</summary>
public sealed record EncoderBenchResult(string ModelVersion, string Device, IReadOnlyList<EncoderBatchPoint> Batches,
    IReadOnlyList<BatchingPoint> Saturation, double BatchingSpeedup);

/// <summary>
/// The user tower: (1) latency and throughput by batch size — the bare <see cref="InferenceSession"/> run over the
/// encoder's own sub-batches with prepared tensors, against <see cref="InterestEncoder.Encode"/> on the same
/// contexts (the difference is the service's overhead), and one padded run over the whole batch (what splitting by
/// length saves); (2) throughput at saturation through the service's <see cref="MicroBatcher{TIn, TOut}"/> with
/// batching off (max batch 1) and on.
/// </summary>
public static class EncoderBench
{
    /// <summary>Runs the suite.</summary>
    /// <param name="package">The model package whose user tower is measured.</param>
    /// <param name="batchSizes">Batch sizes for the latency table, in contexts.</param>
    /// <param name="maxBatch">The batcher's max batch size for the batching-on saturation run (compared with 1).</param>
    /// <param name="maxDelay">The batcher's wait for company (the service's <c>MaxBatchDelayMs</c>).</param>
    /// <param name="saturation">How long each saturation run is measured, after a one-second warm-up.</param>
    /// <param name="concurrency">Closed-loop callers during the saturation runs.</param>
    /// <param name="log">Progress lines; null for none.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size, count or duration is not positive (the delay: negative).</exception>
    public static EncoderBenchResult Run(ModelPackage package, IReadOnlyList<int> batchSizes, int maxBatch, TimeSpan maxDelay, TimeSpan saturation,
        int concurrency, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentNullException.ThrowIfNull(batchSizes);
        foreach (int b in batchSizes)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(b, 1, nameof(batchSizes));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(saturation, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        var encoder = new InterestEncoder(package);
        // A handful of distinct batches, cycled, so neither path profits from one repeated input.
        const int Distinct = 8;
        var contexts = SampledInputs.Take(package.Catalog, Math.Max(4096, Distinct * batchSizes.Max()), seed: 11);
        var points = new List<EncoderBatchPoint>();
        foreach (int b in batchSizes)
        {
            var slices = Enumerable.Range(0, Distinct).Select(i => Enumerable.Range(i * b, b).Select(j => contexts[j % contexts.Length]).ToArray()).ToArray();
            var prepared = slices.Select(s => s.Select(c => Prepared(encoder, c)).ToList()).ToArray();
            var padded = prepared.Select(p => encoder.Gather(p).CreateInputs()).ToArray();
            var grouped = prepared.Select(p => InterestEncoder.LengthGroups(p.Select(x => InterestSequence.Length(x.Rows.Length, x.Query.Length)).ToArray())
                .Select(g => encoder.Gather(g.Select(i => p[i]).ToList()).CreateInputs()).ToArray()).ToArray();
            try
            {
                // At least 100 samples (p99 is then not just the maximum) and every distinct input warmed once.
                int repeats = Math.Clamp(4000 / b, 100, 400);
                using var runOptions = new RunOptions();
                var inputNames = encoder.Gather(prepared[0]).InputNames;
                void RunSession(OrtInputs inputs)
                {
                    using var outputs = package.UserTower.Run(runOptions, inputNames, inputs.Values, UserTowerBatch.OutputNames);
                }

                var whole = LatencySummary.Time(i => RunSession(padded[i % Distinct]), repeats, warmup: Distinct);
                var raw = LatencySummary.Time(i => Array.ForEach(grouped[i % Distinct], RunSession), repeats, warmup: Distinct);
                var full = LatencySummary.Time(i => encoder.Encode(slices[i % Distinct], out _), repeats, warmup: Distinct);
                LatencySummary? text = null;
                if (package.QueryText is { } queryText)
                {
                    var tokens = slices.Select(s => s.Select(c => queryText.Tokenize(c.Query ?? string.Empty)).ToList()).ToArray();
                    text = LatencySummary.Time(i => queryText.EmbedUncached(tokens[i % Distinct]), Math.Max(20, repeats / 10), warmup: 2);
                }

                var point = new EncoderBatchPoint(b, whole, raw, full, b * 1000 / raw.Mean, b * 1000 / full.Mean, (full.P50 / raw.P50 - 1) * 100, text);
                points.Add(point);
                string textPart = text is null ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"; text encoder, uncached, p50 {text.P50:F3} ms");
                log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[bench encoder] batch {b,4}: session p50 {raw.P50:F3} ms (one padded run {whole.P50:F3}), encoder p50 {full.P50:F3} ms (+{point.OverheadPercent:F0}%), {point.EncoderItemsPerSecond:F0} contexts/s{textPart}"));
            }
            finally
            {
                foreach (var i in padded.Concat(grouped.SelectMany(g => g)))
                {
                    i.Dispose();
                }
            }
        }

        var all = contexts.Select(c => Prepared(encoder, c)).ToArray();
        if (package.QueryText is not null)
        {
            // Fill the query-embedding cache first: otherwise max batch 1 would pay a text-encoder run per call (its distinct
            // queries do not come round again in a few seconds) while max batch 32 would mostly hit, and the ratio would
            // measure the cache. The text encoder's own cost is the table above.
            foreach (var chunk in all.Chunk(64))
            {
                encoder.Run(chunk);
            }
        }

        var saturationPoints = new List<BatchingPoint>();
        foreach (int mb in new[] { 1, maxBatch }.Distinct())
        {
            var p = Saturate(encoder, all, mb, maxDelay, saturation, concurrency);
            saturationPoints.Add(p);
            log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[bench encoder] saturation, max batch {mb,3}: {p.EncodesPerSecond:F0} encodes/s (mean batch {p.MeanBatch:F1}, {concurrency} callers)"));
        }

        double speedup = saturationPoints[^1].EncodesPerSecond / saturationPoints[0].EncodesPerSecond;
        return new EncoderBenchResult(package.Version, package.Device, points, saturationPoints, speedup);
    }

    private static PreparedContext Prepared(InterestEncoder encoder, UserContextInput context) => encoder.Prepare(context).Context;

    /// <summary>
    /// <paramref name="concurrency"/> callers each enqueue one context and wait for it, in a loop, for
    /// <paramref name="duration"/>: the most the batcher can deliver. Same worker count and delay as the service.
    /// </summary>
    private static BatchingPoint Saturate(InterestEncoder encoder, PreparedContext[] prepared, int maxBatch, TimeSpan maxDelay,
        TimeSpan duration, int concurrency)
    {
        int workers = Math.Max(1, Environment.ProcessorCount / 2);
        var sizes = new BatchSizes();
        long encodes = 0;
        double seconds;
        var batcher = new MicroBatcher<PreparedContext, float[]>(items => encoder.Run(items), maxBatch,
            maxDelay, maxQueue: Math.Max(1024, concurrency * 2), workers, sizes);
        try
        {
            // The first second warms up threads and pools; completions count from then until the deadline.
            var warm = TimeSpan.FromSeconds(1);
            var end = warm + duration;
            var clock = Stopwatch.StartNew();
            var callers = Enumerable.Range(0, concurrency).Select(c => Task.Run(async () =>
            {
                for (int i = c; clock.Elapsed < end; i += concurrency)
                {
                    await batcher.EnqueueAsync(prepared[i % prepared.Length]).ConfigureAwait(false);
                    var done = clock.Elapsed;
                    if (done >= warm && done < end)
                    {
                        Interlocked.Increment(ref encodes);
                    }
                }
            })).ToArray();
            Task.WaitAll(callers);
            seconds = duration.TotalSeconds;
        }
        finally
        {
            batcher.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        return new BatchingPoint(maxBatch, maxDelay.TotalMilliseconds, concurrency, workers, seconds, encodes, encodes / seconds, sizes.Mean);
    }

    private sealed class BatchSizes : IBatchObserver
    {
        private long _batches, _items;

        public double Mean => Interlocked.Read(ref _batches) == 0 ? 0 : Interlocked.Read(ref _items) / (double)Interlocked.Read(ref _batches);

        public void BatchRan(int size, int queueDepth)
        {
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _items, size);
        }
    }

    /// <summary>Markdown tables of the result.</summary>
    public static string ToMarkdown(EncoderBenchResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"user tower of {r.ModelVersion} on {r.Device}");
        sb.AppendLine();
        sb.AppendLine("| batch | one padded session run p50 (ms) | session runs p50 (ms) | session runs p99 (ms) | encoder p50 (ms) | encoder p99 (ms) | service overhead (p50) | contexts/s (session runs) | contexts/s (encoder) |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var p in r.Batches)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {p.Batch} | {p.PaddedSession.P50:F3} | {p.RawSession.P50:F3} | {p.RawSession.P99:F3} | {p.Encoder.P50:F3} | {p.Encoder.P99:F3} | {p.OverheadPercent:+0;-0}% | {p.RawItemsPerSecond:F0} | {p.EncoderItemsPerSecond:F0} |");
        }

        if (r.Batches.Any(p => p.TextEncoder is not null))
        {
            sb.AppendLine();
            sb.AppendLine("pretrained text encoder on the batch's queries, one run, cache bypassed (the encoder columns above pay it only for queries not cached):");
            sb.AppendLine();
            sb.AppendLine("| batch | text encoder p50 (ms) | p99 (ms) | queries/s |");
            sb.AppendLine("|---:|---:|---:|---:|");
            foreach (var p in r.Batches.Where(p => p.TextEncoder is not null))
            {
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"| {p.Batch} | {p.TextEncoder!.P50:F3} | {p.TextEncoder.P99:F3} | {p.Batch * 1000 / p.TextEncoder.Mean:F0} |");
            }
        }

        sb.AppendLine();
        sb.AppendLine("| micro-batcher max batch | max delay (ms) | callers | workers | encodes/s | mean batch |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|");
        foreach (var p in r.Saturation)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {p.MaxBatch} | {p.MaxDelayMs} | {p.Concurrency} | {p.Workers} | {p.EncodesPerSecond:F0} | {p.MeanBatch:F1} |");
        }

        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"dynamic batching: {r.BatchingSpeedup:F1}x the throughput of max batch 1 at saturation");
        return sb.ToString();
    }

    /// <summary>Contexts/s by batch size, session and encoder.</summary>
    public static void SavePng(EncoderBenchResult r, string path)
    {
        ArgumentNullException.ThrowIfNull(r);
        var plot = new Plot();
        double[] xs = r.Batches.Select(p => Math.Log2(p.Batch)).ToArray();
        plot.Add.ScatterLine(xs, r.Batches.Select(p => p.Batch * 1000 / p.PaddedSession.Mean).ToArray()).LegendText = "ONNX Runtime session, one padded run";
        plot.Add.ScatterLine(xs, r.Batches.Select(p => p.RawItemsPerSecond).ToArray()).LegendText = "ONNX Runtime session, runs split by length";
        plot.Add.ScatterLine(xs, r.Batches.Select(p => p.EncoderItemsPerSecond).ToArray()).LegendText = "encoder (service path)";
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            r.Batches.Select(p => new Tick(Math.Log2(p.Batch), p.Batch.ToString(CultureInfo.InvariantCulture))).ToArray());
        plot.XLabel("batch size");
        plot.YLabel("contexts / s");
        plot.Title("user tower throughput by batch size");
        plot.ShowLegend();
        plot.SavePng(path, 800, 500);
    }
}
