using GuardedAI.Cli;

return await CliApp.RunAsync(args);
