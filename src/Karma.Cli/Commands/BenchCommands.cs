using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Karma.Core.Package;
using Karma.LoadTesting.Bench;
using Karma.Serving.Core.Indexing;
using Karma.Serving.Core.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Karma.Cli.Commands;

/// <summary><c>karma bench …</c>: reproducible benchmark suites writing JSON and markdown.</summary>
internal static class BenchCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create() => new("bench", "Benchmark suites (JSON + markdown under --out)") { Recall(), Encoder(), PreRank(), EndToEnd() };

    private static Option<DirectoryInfo> PackageOption() =>
        new("--package") { Description = "Model package", DefaultValueFactory = _ => new DirectoryInfo("models/default") };

    private static Option<DirectoryInfo> OutOption() =>
        new("--out") { Description = "Output directory", DefaultValueFactory = _ => new DirectoryInfo("runs/bench") };

    private static Option<InferenceDevice> DeviceOption() =>
        new("--device") { Description = "auto, cuda or cpu", DefaultValueFactory = _ => InferenceDevice.Auto };

    private static Option<int> IntraOpOption() =>
        new Option<int>("--intra-op-threads") { Description = "ONNX Runtime threads per run (0 = ORT's default, one per physical core); the service's default is 1", DefaultValueFactory = _ => 1 }.AtLeast(0);

    private static Option<bool> SpinningOption() =>
        new("--ort-spinning") { Description = "Let idle ONNX Runtime threads spin (the service's default is off)" };

    /// <summary>Rejects values below <paramref name="min"/> at parse time, naming the option.</summary>
    private static Option<T> AtLeast<T>(this Option<T> option, T min)
        where T : IComparable<T>
    {
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<T>().CompareTo(min) < 0)
            {
                r.AddError($"{option.Name} must be at least {min}");
            }
        });
        return option;
    }

    private static int[] ParseList(string text, string option)
    {
        var values = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(v => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0 ? n
                : throw new FormatException($"{option}: '{v}' is not a positive integer"))
            .ToArray();
        return values.Length > 0 ? values : throw new FormatException($"{option} is empty");
    }

    private static void Write<T>(string outDir, string name, T result, string markdown)
    {
        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, name + ".json"), JsonSerializer.Serialize(result, Indented));
        File.WriteAllText(Path.Combine(outDir, name + ".md"), markdown);
        Console.WriteLine(markdown);
    }

    private static Command Encoder()
    {
        var package = PackageOption();
        var output = OutOption();
        var device = DeviceOption();
        var intraOp = IntraOpOption();
        var spinning = SpinningOption();
        var batches = new Option<string>("--batches") { Description = "Comma-separated batch sizes", DefaultValueFactory = _ => "1,2,4,8,16,32,64" };
        var maxBatch = new Option<int>("--max-batch") { Description = "Micro-batcher max batch to compare with 1 at saturation", DefaultValueFactory = _ => 32 }.AtLeast(1);
        var seconds = new Option<double>("--seconds") { Description = "Seconds per saturation run", DefaultValueFactory = _ => 5 }.AtLeast(0.1);
        var callers = new Option<int>("--callers") { Description = "Concurrent callers at saturation", DefaultValueFactory = _ => 64 }.AtLeast(1);
        var delay = new Option<double>("--batch-delay-ms") { Description = "Micro-batcher wait for company (the service's MaxBatchDelayMs)", DefaultValueFactory = _ => 0 }.AtLeast(0.0);
        var cmd = new Command("encoder", "User tower: latency and throughput by batch size, service overhead over the bare ONNX Runtime session, dynamic batching at saturation")
        {
            package, output, device, intraOp, spinning, batches, maxBatch, delay, seconds, callers,
        };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            using var pkg = ModelPackage.Load(parse.GetValue(package)!.FullName, parse.GetValue(device), NullLogger.Instance,
                new SessionThreading(parse.GetValue(intraOp), parse.GetValue(spinning)));
            var result = EncoderBench.Run(pkg, ParseList(parse.GetValue(batches)!, "--batches"), parse.GetValue(maxBatch),
                TimeSpan.FromMilliseconds(parse.GetValue(delay)), TimeSpan.FromSeconds(parse.GetValue(seconds)), parse.GetValue(callers), Console.Error);
            string outDir = parse.GetValue(output)!.FullName;
            Write(outDir, "encoder", result, EncoderBench.ToMarkdown(result));
            EncoderBench.SavePng(result, Path.Combine(outDir, "encoder.png"));
            return 0;
        }));
        return cmd;
    }

    private static Command PreRank()
    {
        var package = PackageOption();
        var output = OutOption();
        var device = DeviceOption();
        var intraOp = IntraOpOption();
        var spinning = SpinningOption();
        var candidates = new Option<string>("--candidates") { Description = "Comma-separated candidate counts", DefaultValueFactory = _ => "10,50,100,200,500,1000,2000" };
        var cmd = new Command("prerank", "Pre-ranker latency and candidates/s by candidate count") { package, output, device, intraOp, spinning, candidates };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            using var pkg = ModelPackage.Load(parse.GetValue(package)!.FullName, parse.GetValue(device), NullLogger.Instance,
                new SessionThreading(parse.GetValue(intraOp), parse.GetValue(spinning)));
            var result = PreRankBench.Run(pkg, ParseList(parse.GetValue(candidates)!, "--candidates"), Console.Error);
            Write(parse.GetValue(output)!.FullName, "prerank", result, PreRankBench.ToMarkdown(result));
            return 0;
        }));
        return cmd;
    }

    private static Command EndToEnd()
    {
        var package = PackageOption();
        var output = OutOption();
        var index = new Option<string>("--index") { Description = "exact, hnsw or onnx-exact", DefaultValueFactory = _ => "exact" };
        var requests = new Option<int>("--requests") { Description = "Requests per path and method", DefaultValueFactory = _ => 500 }.AtLeast(1);
        var delay = new Option<double>("--batch-delay-ms") { Description = "Micro-batching delay of the hosted service", DefaultValueFactory = _ => 0 }.AtLeast(0.0);
        var cmd = new Command("e2e", "The service's pipeline called in-process against the same calls over gRPC (real Kestrel host on loopback)")
        {
            package, output, index, requests, delay,
        };
        cmd.SetAction(async (parse, token) =>
        {
            try
            {
                var result = await EndToEndBench.RunAsync(parse.GetValue(package)!.FullName, parse.GetValue(index)!, parse.GetValue(requests),
                    parse.GetValue(delay), Console.Error, token);
                Write(parse.GetValue(output)!.FullName, "e2e", result, EndToEndBench.ToMarkdown(result));
                return 0;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or OptionsValidationException
                                          or Grpc.Core.RpcException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return cmd;
    }

    private static Command Recall()
    {
        var vectors = new Option<FileInfo?>("--vectors") { Description = "A .fvecs, .npy or .safetensors file to index" };
        var package = new Option<DirectoryInfo?>("--package") { Description = "A model package whose embedding table to index" };
        var synthetic = new Option<int>("--synthetic") { Description = "Rows of clustered synthetic unit vectors (when no file or package)", DefaultValueFactory = _ => 100_000 };
        var dims = new Option<int>("--dims") { Description = "Width of synthetic vectors", DefaultValueFactory = _ => 64 };
        var queries = new Option<int>("--queries") { Description = "Queries", DefaultValueFactory = _ => 200 }.AtLeast(1);
        var quantization = new Option<HnswQuantization>("--quantization") { Description = "How HNSW stores vectors: Float32 or Float16", DefaultValueFactory = _ => HnswQuantization.Float32 };
        var k = new Option<int>("--k") { Description = "Neighbours per query (>= 100; recall is measured on the top 10 and 100)", DefaultValueFactory = _ => 100 }.AtLeast(100);
        var efs = new Option<string>("--ef") { Description = "Comma-separated HNSW search expansions", DefaultValueFactory = _ => "16,32,64,128,256" };
        var output = OutOption();
        var cmd = new Command("recall", "Exact vs HNSW: recall@10/@100, queries/s across expansion settings, build time, memory")
        {
            vectors, package, synthetic, dims, queries, k, quantization, efs, output,
        };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            string outDir = parse.GetValue(output)!.FullName;
            Directory.CreateDirectory(outDir);
            string source;
            string tablePath;
            bool temporary = false;
            if (parse.GetValue(package) is { } pkg)
            {
                var manifest = ModelManifest.Read(pkg.FullName);
                tablePath = Path.Combine(pkg.FullName, manifest.Tables["embeddings"].File);
                source = $"package {manifest.ModelVersion}";
            }
            else
            {
                float[] data;
                int rows, cols;
                if (parse.GetValue(vectors) is { } file)
                {
                    var m = Karma.Core.Vectors.VectorFile.Read(file.FullName);
                    (data, rows, cols) = (m.Values, m.Rows, m.Cols);
                    source = file.Name;
                }
                else
                {
                    rows = parse.GetValue(synthetic);
                    cols = parse.GetValue(dims);
                    data = RecallBench.Clustered(rows, cols, seed: 42);
                    source = $"synthetic clustered (seed 42)";
                }

                tablePath = Path.Combine(outDir, $".bench-table-{Guid.NewGuid():N}.bin");
                VectorTableWriter.Write(tablePath, data, rows, cols, VectorElementType.Float32);
                temporary = true;
            }

            try
            {
                using var table = VectorTable.Open(tablePath);
                int[] expansions = ParseList(parse.GetValue(efs)!, "--ef");
                var result = RecallBench.Run(source, table, parse.GetValue(queries), expansions, Console.Error,
                    k: parse.GetValue(k), quantization: parse.GetValue(quantization));
                Write(outDir, "recall", result, RecallBench.ToMarkdown(result));
                return 0;
            }
            finally
            {
                if (temporary)
                {
                    File.Delete(tablePath);
                }
            }
        }));
        return cmd;
    }
}
