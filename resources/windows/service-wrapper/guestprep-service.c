/*
 * guestprep-service.exe - a small srvany-style Windows service wrapper for Guestprep.
 *
 * Runs one command line as a Windows service and keeps it running:
 *   - the service name comes from the SCM (argv[0] of ServiceMain), so one binary serves any name;
 *   - configuration is read from HKLM\SYSTEM\CurrentControlSet\Services\<name>\Parameters:
 *       CommandLine                 REG_SZ / REG_EXPAND_SZ (environment variables are expanded) - required
 *       WorkingDirectory (or PWD)   REG_SZ / REG_EXPAND_SZ  - default: the folder of this executable
 *       LogFile                     REG_SZ / REG_EXPAND_SZ  - default: <WorkingDirectory>\guestprep-service.log
 *       RestartDelayInitialSeconds  REG_DWORD - default 10
 *       RestartDelayMaxSeconds      REG_DWORD - default 180
 *       RestartResetSeconds         REG_DWORD - default 600 (a run this long resets the delay)
 *   - the command runs in a Job Object with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, so stopping the
 *     service (or this wrapper dying) ends the whole process tree;
 *   - its stdout/stderr are appended to the log file, next to the wrapper's own timestamped lines;
 *   - when it exits it is restarted after a growing delay (10, 20, 40, ... capped at 180 s).
 *
 * Plain Win32, Unicode (W) APIs throughout, no third-party code. Build: see Makefile / README.md.
 * SPDX-License-Identifier: AGPL-3.0-only
 */
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0601 /* Windows 7 and later */
#endif
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <stdarg.h>
#include <stdio.h>
#include <wchar.h>

#define GP_VERSION L"1.0.0"
#define GP_DEFAULT_LOG_NAME L"guestprep-service.log"
#define GP_DEFAULT_INITIAL_DELAY 10u
#define GP_DEFAULT_MAX_DELAY 180u
#define GP_DEFAULT_RESET_SECONDS 600u
#define GP_DELAY_CEILING 86400u                          /* clamp any configured delay to one day */
#define GP_LOG_ROTATE_BYTES (16LL * 1024 * 1024)         /* rotate to <log>.1 before a (re)start */
#define GP_STOP_WAIT_HINT_MS 15000u
#define GP_KILLED_EXIT_CODE ERROR_PROCESS_ABORTED        /* exit code given to processes we terminate */

typedef struct {
    WCHAR *command_line;
    WCHAR *working_directory;
    WCHAR *log_file;
    DWORD initial_delay;
    DWORD max_delay;
    DWORD reset_seconds;
} Config;

typedef struct {
    HANDLE process;
    HANDLE job; /* NULL when the process could not be put in a job */
    DWORD pid;
} Child;

static WCHAR g_name[257];
static SERVICE_STATUS_HANDLE g_status_handle;
static SERVICE_STATUS g_status;
static HANDLE g_stop_event;
static HANDLE g_log = INVALID_HANDLE_VALUE;
static HANDLE g_nul = INVALID_HANDLE_VALUE;
static CRITICAL_SECTION g_lock;
static const WCHAR *g_stop_reason = L"stop";

/* ---------------------------------------------------------------- memory and strings */

static void *gp_alloc(SIZE_T bytes) { return HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, bytes); }

static void gp_free(void *p) {
    if (p) HeapFree(GetProcessHeap(), 0, p);
}

static WCHAR *gp_strdup(const WCHAR *s) {
    size_t n = wcslen(s) + 1;
    WCHAR *r = gp_alloc(n * sizeof(WCHAR));
    if (r) memcpy(r, s, n * sizeof(WCHAR));
    return r;
}

/* a + b, with exactly one backslash between them */
static WCHAR *gp_join(const WCHAR *dir, const WCHAR *file) {
    size_t a = wcslen(dir), b = wcslen(file);
    int sep = a > 0 && dir[a - 1] != L'\\' && dir[a - 1] != L'/';
    WCHAR *r = gp_alloc((a + sep + b + 1) * sizeof(WCHAR));
    if (!r) return NULL;
    memcpy(r, dir, a * sizeof(WCHAR));
    if (sep) r[a] = L'\\';
    memcpy(r + a + sep, file, (b + 1) * sizeof(WCHAR));
    return r;
}

/* printf into a fresh heap buffer (any length) */
static WCHAR *gp_vformat(const WCHAR *fmt, va_list ap) {
    va_list copy;
    va_copy(copy, ap);
    int n = _vscwprintf(fmt, copy);
    va_end(copy);
    if (n < 0) return NULL;
    WCHAR *r = gp_alloc(((size_t)n + 1) * sizeof(WCHAR));
    if (r) _vsnwprintf(r, (size_t)n + 1, fmt, ap);
    return r;
}

/* Folder of this executable (no trailing backslash), for the defaults. */
static WCHAR *gp_exe_dir(void) {
    DWORD cap = MAX_PATH;
    for (;;) {
        WCHAR *buf = gp_alloc(cap * sizeof(WCHAR));
        if (!buf) return NULL;
        DWORD n = GetModuleFileNameW(NULL, buf, cap);
        if (n == 0) {
            gp_free(buf);
            return NULL;
        }
        if (n < cap) {
            WCHAR *slash = wcsrchr(buf, L'\\');
            if (slash) *slash = 0;
            return buf;
        }
        gp_free(buf);
        if (cap >= 32768) return NULL;
        cap *= 2;
    }
}

/* ---------------------------------------------------------------- logging */

static void gp_write_utf8(HANDLE h, const WCHAR *text) {
    if (h == INVALID_HANDLE_VALUE || h == NULL) return;
    int len = (int)wcslen(text);
    int n = WideCharToMultiByte(CP_UTF8, 0, text, len, NULL, 0, NULL, NULL);
    if (n <= 0) return;
    char *buf = gp_alloc((SIZE_T)n);
    if (!buf) return;
    WideCharToMultiByte(CP_UTF8, 0, text, len, buf, n, NULL, NULL);
    DWORD written;
    WriteFile(h, buf, (DWORD)n, &written, NULL);
    gp_free(buf);
}

/* One timestamped (UTC) line in the log: "2024-05-01T12:00:00.123Z [name] message". */
static void gp_log(const WCHAR *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    WCHAR *msg = gp_vformat(fmt, ap);
    va_end(ap);
    if (!msg) return;
    SYSTEMTIME t;
    GetSystemTime(&t);
    WCHAR *line = NULL;
    {
        /* build the whole line first: one WriteFile per line keeps appends whole */
        const WCHAR *lfmt = L"%04u-%02u-%02uT%02u:%02u:%02u.%03uZ [%ls] %ls\r\n";
        int n = _scwprintf(lfmt, t.wYear, t.wMonth, t.wDay, t.wHour, t.wMinute, t.wSecond, t.wMilliseconds, g_name, msg);
        if (n > 0) {
            line = gp_alloc(((size_t)n + 1) * sizeof(WCHAR));
            if (line)
                _snwprintf(line, (size_t)n + 1, lfmt, t.wYear, t.wMonth, t.wDay, t.wHour, t.wMinute, t.wSecond,
                           t.wMilliseconds, g_name, msg);
        }
    }
    if (line) {
        EnterCriticalSection(&g_lock);
        gp_write_utf8(g_log, line);
        LeaveCriticalSection(&g_lock);
    }
    gp_free(line);
    gp_free(msg);
}

/* Text of a Win32 error code (trailing newline removed); caller frees. */
static WCHAR *gp_error_text(DWORD err) {
    WCHAR *sys = NULL;
    DWORD n = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                             NULL, err, 0, (LPWSTR)&sys, 0, NULL);
    WCHAR *r;
    if (n && sys) {
        while (n > 0 && (sys[n - 1] == L'\r' || sys[n - 1] == L'\n' || sys[n - 1] == L' ' || sys[n - 1] == L'.'))
            sys[--n] = 0;
        r = gp_strdup(sys);
        LocalFree(sys);
    } else {
        r = gp_strdup(L"unknown error");
    }
    return r;
}

/* Also put serious problems in the Windows event log (Application), where an admin looks first. */
static void gp_event(WORD type, const WCHAR *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    WCHAR *msg = gp_vformat(fmt, ap);
    va_end(ap);
    if (!msg) return;
    HANDLE src = RegisterEventSourceW(NULL, g_name);
    if (src) {
        LPCWSTR strings[1] = {msg};
        ReportEventW(src, type, 0, 0, NULL, 1, 0, strings, NULL);
        DeregisterEventSource(src);
    }
    gp_free(msg);
}

static HANDLE gp_open_log(const WCHAR *path) {
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE}; /* inheritable: it becomes the child's stdout/stderr */
    return CreateFileW(path, FILE_APPEND_DATA | FILE_READ_ATTRIBUTES | SYNCHRONIZE,
                       FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, &sa, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL,
                       NULL);
}

/* Before each (re)start: move a log that grew past the limit to <log>.1 (one old generation kept). */
static void gp_rotate_log(const WCHAR *path) {
    LARGE_INTEGER size;
    if (g_log == INVALID_HANDLE_VALUE || !GetFileSizeEx(g_log, &size) || size.QuadPart < GP_LOG_ROTATE_BYTES) return;
    WCHAR *old = gp_alloc((wcslen(path) + 3) * sizeof(WCHAR));
    if (!old) return;
    wcscpy(old, path);
    wcscat(old, L".1");
    EnterCriticalSection(&g_lock);
    CloseHandle(g_log);
    BOOL moved = MoveFileExW(path, old, MOVEFILE_REPLACE_EXISTING);
    g_log = gp_open_log(path);
    LeaveCriticalSection(&g_lock);
    if (moved) gp_log(L"log rotated: the previous log is %ls", old);
    gp_free(old);
}

/* ---------------------------------------------------------------- service status */

static void gp_report(DWORD state, DWORD exit_code, DWORD wait_hint) {
    EnterCriticalSection(&g_lock);
    g_status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    g_status.dwCurrentState = state;
    g_status.dwWin32ExitCode = exit_code;
    g_status.dwServiceSpecificExitCode = 0;
    g_status.dwWaitHint = wait_hint;
    g_status.dwControlsAccepted =
        (state == SERVICE_START_PENDING || state == SERVICE_STOPPED) ? 0 : SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN;
    if (state == SERVICE_RUNNING || state == SERVICE_STOPPED)
        g_status.dwCheckPoint = 0;
    else
        g_status.dwCheckPoint++;
    if (g_status_handle) SetServiceStatus(g_status_handle, &g_status);
    LeaveCriticalSection(&g_lock);
}

static DWORD WINAPI gp_control(DWORD control, DWORD event_type, LPVOID event_data, LPVOID context) {
    (void)event_type;
    (void)event_data;
    (void)context;
    switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
        g_stop_reason = control == SERVICE_CONTROL_STOP ? L"stop" : L"shutdown";
        gp_log(L"%ls requested", g_stop_reason);
        gp_report(SERVICE_STOP_PENDING, NO_ERROR, GP_STOP_WAIT_HINT_MS);
        SetEvent(g_stop_event);
        return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
        return NO_ERROR;
    default:
        return ERROR_CALL_NOT_IMPLEMENTED;
    }
}

/* ---------------------------------------------------------------- configuration */

/* A string value (REG_SZ or REG_EXPAND_SZ, environment variables expanded), or NULL. */
static WCHAR *gp_reg_string(HKEY key, const WCHAR *name) {
    DWORD type = 0, size = 0;
    if (RegQueryValueExW(key, name, NULL, &type, NULL, &size) != ERROR_SUCCESS) return NULL;
    if (type != REG_SZ && type != REG_EXPAND_SZ) {
        gp_log(L"warning: Parameters\\%ls is not a string (type %lu); ignored", name, type);
        return NULL;
    }
    WCHAR *raw = NULL;
    for (int attempt = 0; attempt < 4; attempt++) {
        raw = gp_alloc(size + 2 * sizeof(WCHAR)); /* room for a missing terminator */
        if (!raw) return NULL;
        DWORD got = size;
        LONG r = RegQueryValueExW(key, name, NULL, &type, (BYTE *)raw, &got);
        if (r == ERROR_SUCCESS) break;
        gp_free(raw);
        raw = NULL;
        if (r != ERROR_MORE_DATA) return NULL;
        size = got;
    }
    if (!raw) return NULL;
    DWORD need = ExpandEnvironmentStringsW(raw, NULL, 0);
    if (need == 0) return raw;
    WCHAR *expanded = gp_alloc((size_t)need * sizeof(WCHAR));
    if (!expanded || ExpandEnvironmentStringsW(raw, expanded, need) == 0 || (expanded[0] == 0 && raw[0] != 0)) {
        gp_free(expanded);
        return raw;
    }
    gp_free(raw);
    return expanded;
}

static DWORD gp_reg_dword(HKEY key, const WCHAR *name, DWORD fallback) {
    DWORD type = 0, value = 0, size = sizeof value;
    LONG r = RegQueryValueExW(key, name, NULL, &type, (BYTE *)&value, &size);
    if (r != ERROR_SUCCESS) return fallback;
    if (type != REG_DWORD || size != sizeof value) {
        gp_log(L"warning: Parameters\\%ls is not a REG_DWORD; using %lu", name, fallback);
        return fallback;
    }
    return value;
}

static BOOL gp_is_blank(const WCHAR *s) {
    if (!s) return TRUE;
    for (; *s; s++)
        if (*s != L' ' && *s != L'\t') return FALSE;
    return TRUE;
}

/* Reads the Parameters key. Returns ERROR_SUCCESS or the error to stop with; opens the log as soon as
   its location is known, so even a configuration error is written down. */
static DWORD gp_read_config(Config *cfg) {
    ZeroMemory(cfg, sizeof *cfg);
    cfg->initial_delay = GP_DEFAULT_INITIAL_DELAY;
    cfg->max_delay = GP_DEFAULT_MAX_DELAY;
    cfg->reset_seconds = GP_DEFAULT_RESET_SECONDS;

    WCHAR *subkey = gp_alloc((wcslen(g_name) + 64) * sizeof(WCHAR));
    if (!subkey) return ERROR_NOT_ENOUGH_MEMORY;
    wcscpy(subkey, L"SYSTEM\\CurrentControlSet\\Services\\");
    wcscat(subkey, g_name);
    wcscat(subkey, L"\\Parameters");
    HKEY key = NULL;
    LONG open = RegOpenKeyExW(HKEY_LOCAL_MACHINE, subkey, 0, KEY_READ, &key);
    if (open == ERROR_SUCCESS) {
        cfg->command_line = gp_reg_string(key, L"CommandLine");
        cfg->working_directory = gp_reg_string(key, L"WorkingDirectory");
        if (gp_is_blank(cfg->working_directory)) {
            gp_free(cfg->working_directory);
            cfg->working_directory = gp_reg_string(key, L"PWD"); /* RHSrvAny's name */
        }
        cfg->log_file = gp_reg_string(key, L"LogFile");
    }
    if (gp_is_blank(cfg->working_directory)) {
        gp_free(cfg->working_directory);
        cfg->working_directory = gp_exe_dir();
    }
    if (gp_is_blank(cfg->log_file)) {
        gp_free(cfg->log_file);
        cfg->log_file = cfg->working_directory ? gp_join(cfg->working_directory, GP_DEFAULT_LOG_NAME) : NULL;
    }
    if (cfg->log_file) {
        g_log = gp_open_log(cfg->log_file);
        if (g_log == INVALID_HANDLE_VALUE)
            gp_event(EVENTLOG_WARNING_TYPE, L"%ls: cannot open the log file %ls (error %lu); the command's output is discarded",
                     g_name, cfg->log_file, GetLastError());
        else
            gp_rotate_log(cfg->log_file);
    }
    gp_log(L"guestprep-service %ls starting (pid %lu)", GP_VERSION, GetCurrentProcessId());

    if (open != ERROR_SUCCESS) {
        gp_log(L"error: cannot open HKLM\\%ls (error %lu): the service has no configuration", subkey, (DWORD)open);
        gp_event(EVENTLOG_ERROR_TYPE, L"%ls: cannot open HKLM\\%ls (error %lu)", g_name, subkey, (DWORD)open);
        gp_free(subkey);
        return ERROR_BAD_CONFIGURATION;
    }
    if (gp_is_blank(cfg->command_line)) {
        gp_log(L"error: HKLM\\%ls has no CommandLine value (REG_SZ or REG_EXPAND_SZ): nothing to run", subkey);
        gp_event(EVENTLOG_ERROR_TYPE, L"%ls: HKLM\\%ls has no CommandLine value", g_name, subkey);
        RegCloseKey(key);
        gp_free(subkey);
        return ERROR_BAD_CONFIGURATION;
    }
    cfg->initial_delay = gp_reg_dword(key, L"RestartDelayInitialSeconds", GP_DEFAULT_INITIAL_DELAY);
    cfg->max_delay = gp_reg_dword(key, L"RestartDelayMaxSeconds", GP_DEFAULT_MAX_DELAY);
    cfg->reset_seconds = gp_reg_dword(key, L"RestartResetSeconds", GP_DEFAULT_RESET_SECONDS);
    RegCloseKey(key);
    gp_free(subkey);

    if (cfg->initial_delay < 1) cfg->initial_delay = 1; /* never a busy restart loop */
    if (cfg->initial_delay > GP_DELAY_CEILING) cfg->initial_delay = GP_DELAY_CEILING;
    if (cfg->max_delay > GP_DELAY_CEILING) cfg->max_delay = GP_DELAY_CEILING;
    if (cfg->max_delay < cfg->initial_delay) cfg->max_delay = cfg->initial_delay;

    gp_log(L"CommandLine: %ls", cfg->command_line);
    gp_log(L"WorkingDirectory: %ls", cfg->working_directory ? cfg->working_directory : L"(inherited)");
    gp_log(L"LogFile: %ls", cfg->log_file ? cfg->log_file : L"(none)");
    gp_log(L"restart delay: initial %lu s, max %lu s, reset after a run of %lu s", cfg->initial_delay, cfg->max_delay,
           cfg->reset_seconds);
    return ERROR_SUCCESS;
}

static void gp_free_config(Config *cfg) {
    gp_free(cfg->command_line);
    gp_free(cfg->working_directory);
    gp_free(cfg->log_file);
    ZeroMemory(cfg, sizeof *cfg);
}

/* ---------------------------------------------------------------- the supervised process */

static HANDLE gp_new_job(void) {
    HANDLE job = CreateJobObjectW(NULL, NULL);
    if (!job) return NULL;
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits;
    ZeroMemory(&limits, sizeof limits);
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits, sizeof limits)) {
        CloseHandle(job);
        return NULL;
    }
    return job;
}

/* Starts the command suspended, puts it in a kill-on-close job, then lets it run. */
static DWORD gp_launch(const Config *cfg, Child *child) {
    ZeroMemory(child, sizeof *child);
    HANDLE job = gp_new_job();
    if (!job) gp_log(L"warning: cannot create a job object (error %lu)", GetLastError());

    WCHAR *cmd = gp_strdup(cfg->command_line); /* CreateProcessW may write into it */
    if (!cmd) {
        if (job) CloseHandle(job);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    STARTUPINFOW si;
    ZeroMemory(&si, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = g_nul;
    si.hStdOutput = g_log != INVALID_HANDLE_VALUE ? g_log : g_nul;
    si.hStdError = si.hStdOutput;
    PROCESS_INFORMATION pi;
    ZeroMemory(&pi, sizeof pi);
    DWORD flags = CREATE_SUSPENDED | CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW | CREATE_UNICODE_ENVIRONMENT;

    EnterCriticalSection(&g_lock); /* the log handle must not be rotated while it is being inherited */
    BOOL ok = CreateProcessW(NULL, cmd, NULL, NULL, TRUE, flags, NULL, cfg->working_directory, &si, &pi);
    DWORD err = ok ? ERROR_SUCCESS : GetLastError();
    LeaveCriticalSection(&g_lock);
    gp_free(cmd);
    if (!ok) {
        if (job) CloseHandle(job);
        return err;
    }
    if (job && !AssignProcessToJobObject(job, pi.hProcess)) {
        /* e.g. Windows 7 when the wrapper itself already runs in a job: no nested jobs there */
        gp_log(L"warning: cannot put process %lu in a job object (error %lu): a stop ends only that process",
               pi.dwProcessId, GetLastError());
        CloseHandle(job);
        job = NULL;
    }
    ResumeThread(pi.hThread);
    CloseHandle(pi.hThread);
    child->process = pi.hProcess;
    child->job = job;
    child->pid = pi.dwProcessId;
    return ERROR_SUCCESS;
}

/* Ends whatever is left of the process tree and releases the handles. */
static void gp_end_tree(Child *child, BOOL terminate_main) {
    if (child->job) {
        JOBOBJECT_BASIC_ACCOUNTING_INFORMATION acct;
        ZeroMemory(&acct, sizeof acct);
        if (QueryInformationJobObject(child->job, JobObjectBasicAccountingInformation, &acct, sizeof acct, NULL) &&
            acct.ActiveProcesses > 0)
            gp_log(L"terminating %lu remaining process(es) of the tree", acct.ActiveProcesses);
        TerminateJobObject(child->job, GP_KILLED_EXIT_CODE);
        CloseHandle(child->job); /* kill-on-close: also covers anything that escaped TerminateJobObject */
    } else if (terminate_main && child->process) {
        TerminateProcess(child->process, GP_KILLED_EXIT_CODE);
    }
    if (child->process) {
        WaitForSingleObject(child->process, 10000);
        CloseHandle(child->process);
    }
    ZeroMemory(child, sizeof *child);
}

/* Supervises the command until a stop is requested. */
static void gp_supervise(const Config *cfg) {
    DWORD delay = cfg->initial_delay;
    BOOL running_reported = FALSE;
    unsigned long starts = 0, attempts = 0;
    for (;;) {
        if (attempts++ > 0) gp_rotate_log(cfg->log_file); /* the first check was made when the log was opened */
        Child child;
        ULONGLONG started_at = GetTickCount64();
        DWORD err = gp_launch(cfg, &child);
        if (!running_reported) {
            gp_report(SERVICE_RUNNING, NO_ERROR, 0);
            running_reported = TRUE;
        }
        if (err == ERROR_SUCCESS) {
            starts++;
            gp_log(L"%ls process %lu%ls", starts == 1 ? L"started" : L"restarted", child.pid,
                   child.job ? L" (in a kill-on-close job)" : L"");
            HANDLE waits[2] = {g_stop_event, child.process};
            DWORD w = WaitForMultipleObjects(2, waits, FALSE, INFINITE);
            if (w != WAIT_OBJECT_0 + 1) {
                gp_log(L"%ls: terminating process %lu and its process tree", g_stop_reason, child.pid);
                gp_end_tree(&child, TRUE);
                return;
            }
            DWORD code = 0;
            GetExitCodeProcess(child.process, &code);
            ULONGLONG ran = (GetTickCount64() - started_at) / 1000;
            gp_log(L"process %lu exited with code %lu (0x%08lX) after %lu s", child.pid, code, code, (DWORD)ran);
            gp_end_tree(&child, FALSE);
            if (ran >= cfg->reset_seconds && delay != cfg->initial_delay) {
                gp_log(L"it ran for at least %lu s: restart delay reset to %lu s", cfg->reset_seconds, cfg->initial_delay);
                delay = cfg->initial_delay;
            }
        } else {
            WCHAR *text = gp_error_text(err);
            gp_log(L"error: cannot start the command (error %lu: %ls)", err, text ? text : L"");
            gp_free(text);
        }
        gp_log(L"restarting in %lu s", delay);
        if (WaitForSingleObject(g_stop_event, delay * 1000u) == WAIT_OBJECT_0) {
            gp_log(L"%ls while waiting to restart: not restarting", g_stop_reason);
            return;
        }
        delay = delay > cfg->max_delay / 2 ? cfg->max_delay : delay * 2;
    }
}

/* ---------------------------------------------------------------- entry points */

static void WINAPI gp_service_main(DWORD argc, LPWSTR *argv) {
    if (argc > 0 && argv && argv[0]) {
        wcsncpy(g_name, argv[0], (sizeof g_name / sizeof g_name[0]) - 1);
    }
    g_status_handle = RegisterServiceCtrlHandlerExW(g_name, gp_control, NULL);
    if (!g_status_handle) return;
    gp_report(SERVICE_START_PENDING, NO_ERROR, 5000);

    g_stop_event = CreateEventW(NULL, TRUE, FALSE, NULL);
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
    g_nul = CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, OPEN_EXISTING, 0, NULL);

    Config cfg;
    ZeroMemory(&cfg, sizeof cfg);
    DWORD err = g_stop_event ? gp_read_config(&cfg) : GetLastError();
    if (err == ERROR_SUCCESS) {
        gp_supervise(&cfg);
        gp_log(L"service stopped");
    } else {
        gp_log(L"service stopped with error %lu", err);
    }
    gp_free_config(&cfg);
    EnterCriticalSection(&g_lock);
    if (g_log != INVALID_HANDLE_VALUE) CloseHandle(g_log);
    g_log = INVALID_HANDLE_VALUE;
    LeaveCriticalSection(&g_lock);
    if (g_nul != INVALID_HANDLE_VALUE) CloseHandle(g_nul);
    gp_report(SERVICE_STOPPED, err, 0); /* nothing may run after this: the process can end at once */
}

static void gp_print(const WCHAR *text) { gp_write_utf8(GetStdHandle(STD_ERROR_HANDLE), text); }

int wmain(int argc, wchar_t **argv) {
    InitializeCriticalSection(&g_lock);
    wcscpy(g_name, L"guestprep-service");
    if (argc > 1 && (wcscmp(argv[1], L"--version") == 0 || wcscmp(argv[1], L"/?") == 0 || wcscmp(argv[1], L"--help") == 0)) {
        gp_print(L"guestprep-service " GP_VERSION L"\r\n");
        return 0;
    }
    SERVICE_TABLE_ENTRYW table[] = {{g_name, gp_service_main}, {NULL, NULL}};
    if (!StartServiceCtrlDispatcherW(table)) {
        DWORD err = GetLastError();
        if (err == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
            gp_print(L"guestprep-service " GP_VERSION L": a Windows service wrapper; it is started by the Service Control "
                     L"Manager.\r\nConfigure HKLM\\SYSTEM\\CurrentControlSet\\Services\\<name>\\Parameters\\CommandLine "
                     L"(and optionally WorkingDirectory, LogFile, RestartDelayInitialSeconds, RestartDelayMaxSeconds).\r\n");
        }
        return (int)err;
    }
    return (int)g_status.dwWin32ExitCode;
}
