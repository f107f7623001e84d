using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Karma.Core.Package;
using Karma.Bench;
using Karma.Serving.Core.Indexing;
using Karma.Serving.Core.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Karma.Cli.Commands;

/// <summary><c>karma bench …</c>: reproducible benchmark suites writing JSON and markdown.</summary>
internal static class BenchCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create() => new("bench", "Benchmark suites (JSON + markdown under --out)") { Recall(), Scan(), Encoder(), PreRank(), EndToEnd() };

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

    /// <summary>A package's retrieval-embedding table and how a report names it.</summary>
    private static (string Path, string Source) EmbeddingTable(DirectoryInfo package)
    {
        var manifest = ModelManifest.Read(package.FullName);
        return (Path.Combine(package.FullName, manifest.Tables["embeddings"].File), $"package {manifest.ModelVersion}");
    }

    private static Command Scan()
    {
        var package = new Option<DirectoryInfo?>("--package") { Description = "A model package whose embedding table to scan" };
        var synthetic = new Option<int>("--synthetic") { Description = "Rows of random vectors when no package is given", DefaultValueFactory = _ => 1_000_000 }.AtLeast(1);
        var dims = new Option<int>("--dims") { Description = "Width of the synthetic vectors", DefaultValueFactory = _ => 64 }.AtLeast(1);
        var memory = new Option<string>("--memory") { Description = "Comma-separated ways to hold the table: Mapped, Anonymous, HugePages", DefaultValueFactory = _ => "Mapped,Anonymous,HugePages" };
        var runs = new Option<int>("--runs") { Description = "Runs, each measuring the bandwidth and then every way", DefaultValueFactory = _ => 3 }.AtLeast(1);
        var queries = new Option<int>("--queries") { Description = "Timed queries per way and run", DefaultValueFactory = _ => 20 }.AtLeast(1);
        var k = new Option<int>("--k") { Description = "Neighbours per query", DefaultValueFactory = _ => 1000 }.AtLeast(1);
        var threads = new Option<int>("--threads") { Description = "Threads scanning and measuring the bandwidth (0: all cores)", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var output = OutOption();
        var cmd = new Command("scan", "The exact scan against this machine's measured memory bandwidth, the table memory-mapped or copied (with or without huge pages)")
        {
            package, synthetic, dims, memory, runs, queries, k, threads, output,
        };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            var ways = parse.GetValue(memory)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(w => Enum.TryParse<VectorTableMemory>(w, ignoreCase: true, out var m) && Enum.IsDefined(m) ? m
                    : throw new ArgumentException($"--memory '{w}': one of {string.Join(", ", Enum.GetNames<VectorTableMemory>())}"))
                .ToList();
            if (ways.Count == 0)
            {
                throw new ArgumentException("--memory is empty");
            }

            string outDir = parse.GetValue(output)!.FullName;
            Directory.CreateDirectory(outDir);
            string source, tablePath;
            string? temporary = null;
            if (parse.GetValue(package) is { } pkg)
            {
                (tablePath, source) = EmbeddingTable(pkg);
            }
            else
            {
                int rows = parse.GetValue(synthetic), cols = parse.GetValue(dims);
                var rng = new Random(42);
                var data = new float[checked(rows * cols)];
                for (int i = 0; i < data.Length; i++)
                {
                    data[i] = (float)(rng.NextDouble() * 2 - 1);
                }

                temporary = tablePath = Path.Combine(outDir, $".scan-table-{Guid.NewGuid():N}.bin");
                VectorTableWriter.Write(tablePath, data, rows, cols, VectorElementType.Float32);
                source = "random vectors (seed 42)";
            }

            try
            {
                var result = ScanBench.Run(source, tablePath, ways, parse.GetValue(runs), parse.GetValue(queries), parse.GetValue(k), threads: parse.GetValue(threads), log: Console.Error);
                Write(outDir, "scan", result, ScanBench.ToMarkdown(result));
                return 0;
            }
            finally
            {
                if (temporary is not null)
                {
                    File.Delete(temporary);
                }
            }
        }));
        return cmd;
    }

    private static Command Recall()
    {
        var vectors = new Option<FileInfo?>("--vectors") { Description = "Base vectors to index (.fvecs, .npy or .safetensors)" };
        var queryFile = new Option<FileInfo?>("--queries") { Description = "Query vectors (with --vectors): the ANN benchmark mode, any k, optional ground truth and peers" };
        var groundTruth = new Option<FileInfo?>("--ground-truth") { Description = "Each query's true neighbours (.ivecs or an integer .npy), best first; default: exact search here" };
        var peers = new Option<bool>("--peers") { Description = "Also run hnswlib and Faiss (Debian python3-hnswlib, python3-faiss; tools/ann/peers.py) on the same files and compare at matched recall" };
        var metric = new Option<string>("--metric") { Description = "ANN mode: cosine (vectors scaled to unit length) or ip", DefaultValueFactory = _ => "cosine" };
        var package = new Option<DirectoryInfo?>("--package") { Description = "A model package whose embedding table to index" };
        var synthetic = new Option<int>("--synthetic") { Description = "Rows of clustered synthetic unit vectors (when no file or package)", DefaultValueFactory = _ => 100_000 };
        var dims = new Option<int>("--dims") { Description = "Width of synthetic vectors", DefaultValueFactory = _ => 64 };
        var queryCount = new Option<int>("--query-count") { Description = "Queries drawn from the table (rows plus noise) when no query file is given", DefaultValueFactory = _ => 200 }.AtLeast(1);
        var quantization = new Option<string>("--quantization")
        {
            Description = "How HNSW stores vectors, NAME[xREFINE]: Float32, Float16, BFloat16 or Int8, optionally with a refine step (k x REFINE candidates re-scored exactly from the table), e.g. BFloat16x2; with --queries a comma-separated list, one index each, all against the same peers",
            DefaultValueFactory = _ => "Float32",
        };
        var k = new Option<int?>("--k") { Description = "Neighbours per query (default 10 with --queries; otherwise at least 100, recall measured on the top 10 and 100)" };
        var m = new Option<int>("--m") { Description = "HNSW M (edges per node)", DefaultValueFactory = _ => 16 };
        var efConstruction = new Option<int?>("--ef-construction") { Description = "HNSW efConstruction (default 200 with --queries, else 128)" };
        var buildThreads = new Option<int>("--build-threads") { Description = "Threads building the index (0: all cores)", DefaultValueFactory = _ => 0 };
        var efs = new Option<string?>("--ef") { Description = "Comma-separated HNSW search expansions (default 10,20,40,80,160 with --queries, else 16,32,64,128,256)" };
        var output = OutOption();
        var cmd = new Command("recall", "Exact vs HNSW: recall, queries/s across expansion settings, build time, memory; with --queries, an ANN benchmark against hnswlib and Faiss (--peers)")
        {
            vectors, queryFile, groundTruth, peers, metric, package, synthetic, dims, queryCount, k, m, efConstruction, buildThreads, quantization, efs, output,
        };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            if (parse.GetValue(queryFile) is { } queriesFile)
            {
                return AnnRecall(parse.GetValue(vectors) ?? throw new ArgumentException("--queries needs --vectors (the base the queries search)"),
                    queriesFile, parse.GetValue(groundTruth), parse.GetValue(peers), parse.GetValue(metric)!, parse.GetValue(k) ?? 10,
                    parse.GetValue(m), parse.GetValue(efConstruction) ?? 200, parse.GetValue(buildThreads), HnswVariant.ParseList(parse.GetValue(quantization)!, "--quantization"),
                    ParseList(parse.GetValue(efs) ?? "10,20,40,80,160", "--ef"), parse.GetValue(output)!.FullName);
            }

            if (parse.GetValue(groundTruth) is not null || parse.GetValue(peers))
            {
                throw new ArgumentException("--ground-truth and --peers need --queries (a query file)");
            }

            if (parse.GetValue(k) is < 100)
            {
                throw new ArgumentException("--k must be at least 100 without --queries (recall is measured on the top 10 and 100)");
            }

            var variants = HnswVariant.ParseList(parse.GetValue(quantization)!, "--quantization");
            var variant = variants.Count == 1 ? variants[0] : throw new ArgumentException("--quantization takes one entry without --queries");
            string outDir = parse.GetValue(output)!.FullName;
            Directory.CreateDirectory(outDir);
            string source;
            string tablePath;
            bool temporary = false;
            if (parse.GetValue(package) is { } pkg)
            {
                (tablePath, source) = EmbeddingTable(pkg);
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
                int[] expansions = ParseList(parse.GetValue(efs) ?? "16,32,64,128,256", "--ef");
                var result = RecallBench.Run(source, table, parse.GetValue(queryCount), expansions, Console.Error,
                    k: parse.GetValue(k) ?? 100, quantization: variant.Quantization,
                    hnsw: new HnswOptions { Connectivity = parse.GetValue(m), ExpansionAdd = parse.GetValue(efConstruction) ?? 128, BuildThreads = parse.GetValue(buildThreads), Refine = variant.Refine });
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

    /// <summary><c>karma bench recall --vectors B --queries Q [--ground-truth GT] [--peers]</c>.</summary>
    private static int AnnRecall(FileInfo vectors, FileInfo queries, FileInfo? groundTruth, bool peers, string metric, int k, int m,
        int efConstruction, int buildThreads, IReadOnlyList<HnswVariant> variants, int[] expansions, string outDir)
    {
        if (k < 1)
        {
            throw new ArgumentException("--k must be at least 1");
        }

        Directory.CreateDirectory(outDir);
        var options = new AnnBenchOptions
        {
            Source = vectors.Name,
            Base = Karma.Core.Vectors.VectorFile.Read(vectors.FullName),
            Queries = Karma.Core.Vectors.VectorFile.Read(queries.FullName),
            GroundTruth = groundTruth is null ? null : ReadGroundTruth(groundTruth.FullName),
            K = k,
            Metric = metric,
            Connectivity = m,
            ExpansionAdd = efConstruction,
            BuildThreads = buildThreads,
            Variants = variants,
            Expansions = expansions,
        };
        IReadOnlyList<AnnSystem>? peerSystems = null;
        if (peers)
        {
            string script = RepositoryFile(Path.Combine("tools", "ann", "peers.py"))
                ?? throw new FileNotFoundException("--peers runs tools/ann/peers.py of a checkout; run from inside the repository");
            string gt = groundTruth?.FullName ?? throw new ArgumentException("--peers needs --ground-truth (the peers score against the same file)");
            peerSystems = AnnBench.RunPeers(script, vectors.FullName, queries.FullName, gt, options, Console.Error);
        }

        var result = AnnBench.Run(options, peerSystems, Console.Error);
        Write(outDir, "ann", result, AnnBench.ToMarkdown(result));
        return 0;
    }

    private static (int[] Ids, int Cols) ReadGroundTruth(string path)
    {
        if (path.EndsWith(".ivecs", StringComparison.OrdinalIgnoreCase))
        {
            var (ids, _, cols) = Karma.Core.Vectors.VectorFile.ReadIvecs(path);
            return (ids, cols);
        }

        var m = Karma.Core.Vectors.VectorFile.Read(path);
        return ([.. m.Values.Select(v => (int)v)], m.Cols);
    }

    /// <summary>A file of this checkout, found from the working directory upwards, then from this tool's directory upwards.</summary>
    private static string? RepositoryFile(string relative)
    {
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, relative);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
