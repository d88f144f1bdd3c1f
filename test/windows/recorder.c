/*
 * Test helper for wrapper.wine.int.test.ts (built with mingw at test time, never shipped).
 *
 *   recorder.exe RECORD_FILE [padding...]
 *     appends "started <pid> cmdlen=<n>" to RECORD_FILE, writes one line to stdout and one to stderr,
 *     starts "recorder.exe --child RECORD_FILE" (a grandchild of the service, to prove the whole tree
 *     is ended), then appends "beat <pid>" every 200 ms forever.
 *   recorder.exe --child RECORD_FILE
 *     appends "child <pid>" and then "beat <pid>" every 200 ms forever.
 *   recorder.exe --idle
 *     sleeps forever (the test runs a copy as keeper.exe: a Wine session ends, taking its services with it,
 *     when no ordinary process is left in it).
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <stdio.h>
#include <wchar.h>

static void append(const wchar_t *file, const char *line) {
    HANDLE h = CreateFileW(file, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                           OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) return;
    DWORD n;
    WriteFile(h, line, (DWORD)strlen(line), &n, NULL);
    CloseHandle(h);
}

static void beat_forever(const wchar_t *file) {
    char line[64];
    for (;;) {
        snprintf(line, sizeof line, "beat %lu\r\n", GetCurrentProcessId());
        append(file, line);
        Sleep(200);
    }
}

int wmain(int argc, wchar_t **argv) {
    char line[256];
    if (argc >= 2 && wcscmp(argv[1], L"--idle") == 0) { /* keeps a Wine session alive */
        Sleep(INFINITE);
        return 0;
    }
    if (argc >= 3 && wcscmp(argv[1], L"--child") == 0) {
        snprintf(line, sizeof line, "child %lu\r\n", GetCurrentProcessId());
        append(argv[2], line);
        beat_forever(argv[2]);
    }
    if (argc < 2) return 2;
    const wchar_t *file = argv[1];
    snprintf(line, sizeof line, "started %lu cmdlen=%u\r\n", GetCurrentProcessId(), (unsigned)wcslen(GetCommandLineW()));
    append(file, line);
    printf("recorder stdout %lu\n", GetCurrentProcessId());
    fflush(stdout);
    fprintf(stderr, "recorder stderr %lu\n", GetCurrentProcessId());
    fflush(stderr);

    wchar_t self[MAX_PATH];
    GetModuleFileNameW(NULL, self, MAX_PATH);
    static wchar_t cmd[4 * MAX_PATH];
    _snwprintf(cmd, sizeof cmd / sizeof cmd[0] - 1, L"\"%ls\" --child \"%ls\"", self, file);
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    ZeroMemory(&si, sizeof si);
    si.cb = sizeof si;
    if (CreateProcessW(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) {
        CloseHandle(pi.hThread);
        CloseHandle(pi.hProcess);
    } else {
        snprintf(line, sizeof line, "child-failed %lu\r\n", GetLastError());
        append(file, line);
    }
    beat_forever(file);
    return 0;
}
