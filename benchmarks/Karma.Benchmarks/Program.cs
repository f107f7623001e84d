using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/Karma.Benchmarks -- --filter '*' [--job short]
BenchmarkSwitcher.FromAssembly(typeof(Karma.Benchmarks.KernelBenchmarks).Assembly).Run(args);
