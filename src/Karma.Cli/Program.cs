using TorchSharp;
using static TorchSharp.torch;
var t = randn(3, 3);
Console.WriteLine(t.sum().item<float>());
