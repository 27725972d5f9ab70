# Training and test accuracy
# written by curvtrack report: reads accuracy.dat and writes accuracy.svg and accuracy.png.
# Restyle freely and regenerate with: gnuplot accuracy.gp
set encoding utf8
set terminal svg size 860,500 dynamic noenhanced font 'Sans,12' background rgb 'white'
set output 'accuracy.svg'
set datafile missing 'nan'
set title 'Training and test accuracy'
set xlabel 'fraction of training (step / total steps)'
set ylabel 'accuracy'
set grid
set key below
set style fill transparent solid 0.18 noborder
plot 'accuracy.dat' index 0 using 3:4 with lines lw 0.7 dt 1 lc rgb '#b01b9e77' notitle, \
     '' index 1 using 2:4:5 with filledcurves lc rgb '#1b9e77' notitle, \
     '' index 1 using 2:3 with lines lw 2 dt 1 lc rgb '#1b9e77' title 'constant: train accuracy (mean of 10, band min-max)', \
     '' index 2 using 3:4 with lines lw 0.7 dt 1 lc rgb '#b0d95f02' notitle, \
     '' index 3 using 2:4:5 with filledcurves lc rgb '#d95f02' notitle, \
     '' index 3 using 2:3 with lines lw 2 dt 1 lc rgb '#d95f02' title 'onecycle: train accuracy (mean of 10, band min-max)', \
     '' index 4 using 3:4 with lines lw 0.7 dt 1 lc rgb '#b07570b3' notitle, \
     '' index 5 using 2:4:5 with filledcurves lc rgb '#7570b3' notitle, \
     '' index 5 using 2:3 with lines lw 2 dt 1 lc rgb '#7570b3' title 'constant_anneal: train accuracy (mean of 10, band min-max)', \
     '' index 6 using 3:4 with lines lw 0.7 dt 1 lc rgb '#b0e7298a' notitle, \
     '' index 7 using 2:4:5 with filledcurves lc rgb '#e7298a' notitle, \
     '' index 7 using 2:3 with lines lw 2 dt 1 lc rgb '#e7298a' title 'onecycle_constmom: train accuracy (mean of 10, band min-max)', \
     '' index 8 using 3:4 with lines lw 0.7 dt 2 lc rgb '#b01b9e77' notitle, \
     '' index 9 using 2:4:5 with filledcurves lc rgb '#1b9e77' notitle, \
     '' index 9 using 2:3 with lines lw 2 dt 2 lc rgb '#1b9e77' title 'constant: test accuracy (mean of 10, band min-max)', \
     '' index 10 using 3:4 with lines lw 0.7 dt 2 lc rgb '#b0d95f02' notitle, \
     '' index 11 using 2:4:5 with filledcurves lc rgb '#d95f02' notitle, \
     '' index 11 using 2:3 with lines lw 2 dt 2 lc rgb '#d95f02' title 'onecycle: test accuracy (mean of 10, band min-max)', \
     '' index 12 using 3:4 with lines lw 0.7 dt 2 lc rgb '#b07570b3' notitle, \
     '' index 13 using 2:4:5 with filledcurves lc rgb '#7570b3' notitle, \
     '' index 13 using 2:3 with lines lw 2 dt 2 lc rgb '#7570b3' title 'constant_anneal: test accuracy (mean of 10, band min-max)', \
     '' index 14 using 3:4 with lines lw 0.7 dt 2 lc rgb '#b0e7298a' notitle, \
     '' index 15 using 2:4:5 with filledcurves lc rgb '#e7298a' notitle, \
     '' index 15 using 2:3 with lines lw 2 dt 2 lc rgb '#e7298a' title 'onecycle_constmom: test accuracy (mean of 10, band min-max)'
set terminal pngcairo size 1000,580 noenhanced font 'Sans,10' background rgb 'white'
set output 'accuracy.png'
replot
unset output
