# Learning rate and momentum
# written by curvtrack report: reads schedule.dat and writes schedule.svg and schedule.png.
# Restyle freely and regenerate with: gnuplot schedule.gp
set encoding utf8
set terminal svg size 860,500 dynamic noenhanced font 'Sans,12' background rgb 'white'
set output 'schedule.svg'
set datafile missing 'nan'
set title 'Learning rate and momentum'
set xlabel 'fraction of training (step / total steps)'
set ylabel 'learning rate'
set grid
set key below
set style fill transparent solid 0.18 noborder
set y2label 'momentum'
set ytics nomirror
set y2tics
plot 'schedule.dat' index 1 using 2:4:5 with filledcurves lc rgb '#1b9e77' notitle, \
     '' index 1 using 2:3 with lines lw 2 dt 1 lc rgb '#1b9e77' title 'constant_0.05: lr (mean of 10, band min-max)', \
     '' index 3 using 2:4:5 with filledcurves lc rgb '#d95f02' notitle, \
     '' index 3 using 2:3 with lines lw 2 dt 1 lc rgb '#d95f02' title 'constant_0.1: lr (mean of 10, band min-max)', \
     '' index 5 using 2:4:5 with filledcurves lc rgb '#7570b3' notitle, \
     '' index 5 using 2:3 with lines lw 2 dt 1 lc rgb '#7570b3' title 'constant_0.1_wd: lr (mean of 10, band min-max)', \
     '' index 7 using 2:4:5 with filledcurves lc rgb '#e7298a' notitle, \
     '' index 7 using 2:3 with lines lw 2 dt 1 lc rgb '#e7298a' title 'constant_0.2: lr (mean of 10, band min-max)', \
     '' index 9 using 2:4:5 with filledcurves lc rgb '#66a61e' notitle, \
     '' index 9 using 2:3 with lines lw 2 dt 1 lc rgb '#66a61e' title 'constant_0.4: lr (mean of 10, band min-max)', \
     '' index 11 using 2:4:5 with filledcurves lc rgb '#e6ab02' notitle, \
     '' index 11 using 2:3 with lines lw 2 dt 1 lc rgb '#e6ab02' title 'onecycle_lstar: lr (mean of 10, band min-max)', \
     '' index 13 using 2:4:5 with filledcurves lc rgb '#a6761d' notitle, \
     '' index 13 using 2:3 with lines lw 2 dt 1 lc rgb '#a6761d' title 'onecycle_lstar_constmom: lr (mean of 10, band min-max)', \
     '' index 15 using 2:4:5 with filledcurves lc rgb '#666666' notitle, \
     '' index 15 using 2:3 with lines lw 2 dt 1 lc rgb '#666666' title 'onecycle_lstar_wd: lr (mean of 10, band min-max)', \
     '' index 17 using 2:4:5 axes x1y2 with filledcurves lc rgb '#1b9e77' notitle, \
     '' index 17 using 2:3 axes x1y2 with lines lw 2 dt 2 lc rgb '#1b9e77' title 'constant_0.05: momentum (mean of 10, band min-max)', \
     '' index 19 using 2:4:5 axes x1y2 with filledcurves lc rgb '#d95f02' notitle, \
     '' index 19 using 2:3 axes x1y2 with lines lw 2 dt 2 lc rgb '#d95f02' title 'constant_0.1: momentum (mean of 10, band min-max)', \
     '' index 21 using 2:4:5 axes x1y2 with filledcurves lc rgb '#7570b3' notitle, \
     '' index 21 using 2:3 axes x1y2 with lines lw 2 dt 2 lc rgb '#7570b3' title 'constant_0.1_wd: momentum (mean of 10, band min-max)', \
     '' index 23 using 2:4:5 axes x1y2 with filledcurves lc rgb '#e7298a' notitle, \
     '' index 23 using 2:3 axes x1y2 with lines lw 2 dt 2 lc rgb '#e7298a' title 'constant_0.2: momentum (mean of 10, band min-max)', \
     '' index 25 using 2:4:5 axes x1y2 with filledcurves lc rgb '#66a61e' notitle, \
     '' index 25 using 2:3 axes x1y2 with lines lw 2 dt 2 lc rgb '#66a61e' title 'constant_0.4: momentum (mean of 10, band min-max)', \
     '' index 27 using 2:4:5 axes x1y2 with filledcurves lc rgb '#e6ab02' notitle, \
     '' index 27 using 2:3 axes x1y2 with lines lw 2 dt 2 lc rgb '#e6ab02' title 'onecycle_lstar: momentum (mean of 10, band min-max)', \
     '' index 29 using 2:4:5 axes x1y2 with filledcurves lc rgb '#a6761d' notitle, \
     '' index 29 using 2:3 axes x1y2 with lines lw 2 dt 2 lc rgb '#a6761d' title 'onecycle_lstar_constmom: momentum (mean of 10, band min-max)', \
     '' index 31 using 2:4:5 axes x1y2 with filledcurves lc rgb '#666666' notitle, \
     '' index 31 using 2:3 axes x1y2 with lines lw 2 dt 2 lc rgb '#666666' title 'onecycle_lstar_wd: momentum (mean of 10, band min-max)'
set terminal pngcairo size 1000,580 noenhanced font 'Sans,10' background rgb 'white'
set output 'schedule.png'
replot
unset output
